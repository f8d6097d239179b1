"""Code systems and value sets PAS uses, and the X12 306 review actions we answer with."""

ICD10_CM = "http://hl7.org/fhir/sid/icd-10-cm"
CPT = "http://www.ama-assn.org/go/cpt"
HCPCS = "https://bluebutton.cms.gov/resources/codesystem/hcpcs"
HCPCS_ALT = "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"
NPI = "http://hl7.org/fhir/sid/us-npi"
POS = "https://www.cms.gov/Medicare/Coding/place-of-service-codes/Place_of_Service_Code_Set"
X12_306 = "https://codesystem.x12.org/005010/306"
ADJUDICATION = "http://terminology.hl7.org/CodeSystem/adjudication"
CLAIM_TYPE = "http://terminology.hl7.org/CodeSystem/claim-type"
REVIEW_ACTION_URL = "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/extension-reviewAction"
THERAPY_WEEKS_URL = "https://countersign.health/fhir/StructureDefinition/conservative-therapy-weeks"
CLAIM_IDENTIFIER_SYSTEM = "https://countersign.health/fhir/claim"

PROCEDURE_SYSTEMS = {CPT, HCPCS, HCPCS_ALT}
NOTE_CATEGORIES = {"info", "freeFormMessage", "additionalInformation", "clinicalNotes"}

# CMS place of service -> the prior-auth form's "site of care" choices.
SITE_OF_CARE = {
    "11": "Physician office",
    "19": "Hospital outpatient department",
    "22": "Hospital outpatient department",
    "21": "Inpatient",
    "49": "Freestanding imaging center",
}

REVIEW_ACTIONS = {
    "A1": "Certified in total",
    "A2": "Certified - partial",
    "A3": "Not Certified",
    "A4": "Pended",
    "A6": "Modified",
    "C": "Cancelled",
}
STATUS_TO_ACTION = {
    "approved": "A1",
    "partially_approved": "A2",
    "denied": "A3",
    "withdrawn": "C",
    "cancelled": "C",
}
# A per-line decision (apps.approvals.line_decisions) -> the item's review action.
LINE_OUTCOME_TO_ACTION = {"approved": "A1", "reduced": "A6", "denied": "A3"}

# The tenant's own reason codes (Settings > Reason codes) in a denial's adjudication reason.
DENIAL_REASON_SYSTEM = "https://countersign.health/fhir/CodeSystem/reason-code"
