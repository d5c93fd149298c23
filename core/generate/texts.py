"""Norwegian words the generated titles, plans and comments are made of (picked by the seeded generator)."""

QI_TOPICS = [
    "færre komplikasjoner etter kirurgi",
    "raskere utredning ved mistanke om kreft",
    "bedre smertebehandling etter operasjon",
    "økt bruk av pasientrapporterte data i klinikken",
    "riktigere legemiddelbruk hos eldre",
    "kortere ventetid til behandling",
    "færre reinnleggelser innen 30 dager",
    "bedre oppfølging etter hjerneslag",
    "flere pasienter med behandlingsmål nådd",
    "tidligere mobilisering etter hoftebrudd",
    "samvalg ved behandling av kroniske smerter",
    "standardisert oppfølging etter utskrivning",
]
QI_VERBS = ["Sammen for", "Forbedringsprosjekt:", "Mot", "Registerdata for", "Nasjonal satsing på"]
DQ_DIMENSIONS = ["kompletthet", "korrekthet", "dekningsgrad", "reliabilitet", "sammenlignbarhet", "aktualitet"]
DQ_METHODS = [
    "Validering av {d} mot pasientjournal",
    "Analyse av {d} mot Norsk pasientregister",
    "Bedre {d} gjennom automatisert datafangst",
    "Kartlegging og forbedring av {d}",
    "Tiltak for økt {d} i registeret",
]
QI_MILESTONES = [
    "Kartlegging og utgangsverdier",
    "Forbedringsteam etablert ved deltakende enheter",
    "Tiltak innført (første PDSA-syklus)",
    "Midtveisevaluering med registerdata",
    "Spredning til flere enheter",
    "Sluttevaluering og rapport",
]
DQ_MILESTONES = [
    "Datauttrekk og kobling",
    "Validering gjennomført",
    "Resultater presentert for fagrådet",
    "Sluttrapport",
]
REVIEW_COMMENTS = [
    "Godt forankret i registerets egne data; planen er realistisk.",
    "Relevant prosjekt, men budsjettet bør begrunnes bedre.",
    "Metoden passer problemstillingen; overføringsverdien er tydelig.",
    "Uklart hvordan effekten skal måles.",
    "Sterk søknad med god brukermedvirkning.",
    "Gjennomførbart, men tidsplanen er stram.",
]
CHANGE_REQUESTS = [
    "Beskriv hvilken datakvalitetsdimensjon prosjektet gjelder.",
    "Legg ved en milepælsplan med datoer.",
    "Budsjettet mangler fordeling per år.",
]
INELIGIBLE = [
    "Søknaden gjelder ordinær drift av registeret.",
    "Søkeren er ikke et nasjonalt medisinsk kvalitetsregister.",
    "Prosjektet bygger ikke på indikatorer som finnes i registeret.",
]
NOT_RECOMMENDED = [
    "Faggruppen rangerer søknaden under grensen for tilgjengelige midler.",
    "Metoden er ikke godt nok beskrevet.",
    "Prosjektet har begrenset nytte utover eget register.",
]
CONFLICT_REASONS = ["Medforfatter med prosjektlederen.", "Tidligere veileder for prosjektlederen.", "Nær kollega."]
