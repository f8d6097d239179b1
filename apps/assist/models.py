"""Advisory recommendations and the tenant's assist settings. Nothing here changes a request."""

from django.conf import settings
from django.db import models


class RecommendationKind(models.TextChoices):
    COMPLETENESS = "completeness", "Completeness check"
    CLASSIFICATION = "classification", "Attachment classification"
    DENIAL_RISK = "denial_risk", "Denial risk"
    SUMMARY = "summary", "Case summary"
    CRITERIA = "criteria", "Criteria checklist"
    CONSISTENCY = "consistency", "Document-form consistency"
    SIMILAR_CASES = "similar_cases", "Similar past cases"


class AssistSettings(models.Model):
    """One row per tenant schema (pk=1)."""

    enabled = models.BooleanField(default=True)
    classifier_threshold = models.FloatField(
        default=0.6, help_text="Below this confidence the classifier says “unsure”."
    )
    show_to_requester = models.BooleanField(
        default=False, help_text="Let requesters see the advisory panel of their own requests."
    )
    show_missing_to_requester = models.BooleanField(
        default=False,
        help_text="Show requesters what is missing (criteria not met or not found, incomplete "
        "answers) on their draft before they submit it.",
    )
    allow_external_phi = models.BooleanField(
        default=False,
        help_text="Allow patient data to be sent to an external model provider. Off by default.",
    )
    external_provider = models.CharField(max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return "Assist settings"


class Recommendation(models.Model):
    kind = models.CharField(max_length=20, choices=RecommendationKind.choices)
    request = models.ForeignKey(
        "approvals.ApprovalRequest", on_delete=models.CASCADE, related_name="recommendations"
    )
    inputs_hash = models.CharField(max_length=64)
    model_version = models.CharField(max_length=80)
    confidence = models.FloatField(null=True, blank=True)
    output = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    reviewer_agreed = models.BooleanField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["request", "kind", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for request {self.request_id}"


class RiskModel(models.Model):
    """The tenant's trained denial/pend-risk model: scikit-learn estimators stored with skops
    (`artifact`, loaded only with the trusted types of `model_store`), metadata as JSON."""

    version = models.CharField(max_length=80)
    trained_on = models.PositiveIntegerField()
    parameters = models.JSONField()
    artifact = models.BinaryField(default=b"", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.version


class DocumentPage(models.Model):
    """Text of one page of an attachment (PHI: shown only where the attachment is; never logged)."""

    class Method(models.TextChoices):
        TEXT_LAYER = "text-layer", "PDF text layer"
        OCR = "ocr", "OCR"
        PLAIN = "plain", "Plain text"

    attachment = models.ForeignKey(
        "approvals.Attachment", on_delete=models.CASCADE, related_name="pages"
    )
    page_number = models.PositiveIntegerField()
    text = models.TextField(blank=True)
    method = models.CharField(max_length=12, choices=Method.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["attachment_id", "page_number"]
        constraints = [
            models.UniqueConstraint(fields=["attachment", "page_number"], name="assist_page_unique")
        ]

    def __str__(self) -> str:
        return f"Page {self.page_number} of attachment {self.attachment_id}"


class CriteriaChecklist(models.Model):
    """A criteria checklist, versioned like workflow specs: each edit adds a version, old kept."""

    key = models.SlugField(max_length=80)
    title = models.CharField(max_length=200)
    workflow_key = models.SlugField(max_length=80)
    codes = models.JSONField(default=list, blank=True, help_text="CPT/HCPCS codes it applies to.")
    categories = models.JSONField(default=list, blank=True, help_text="Capital categories.")
    version = models.PositiveIntegerField(default=1)
    criteria = models.JSONField(default=list)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["key", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["key", "version"], name="assist_checklist_version")
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"


class AssistFeedback(models.Model):
    """“Helpful / not helpful” from a reviewer on one item of an advisory output: a criterion
    (its key), a consistency finding (its key), or the whole block (item "")."""

    recommendation = models.ForeignKey(
        Recommendation, on_delete=models.CASCADE, related_name="feedback"
    )
    item = models.CharField(max_length=80, blank=True)
    helpful = models.BooleanField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recommendation", "item", "actor"], name="assist_feedback_once"
            )
        ]

    def __str__(self) -> str:
        return f"Feedback on {self.recommendation_id} {self.item or '(all)'}"
