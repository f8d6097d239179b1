"""Why an emailed action link cannot be used. Each problem has its own page heading."""


class LinkProblem(Exception):
    code = "link_problem"
    heading = "This link cannot be used"
    explanation = "Open the request in Countersign instead."
    http_status = 400

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail or self.heading)
        self.detail = detail


class LinkTampered(LinkProblem):
    code = "link_tampered"
    heading = "This link is damaged"
    explanation = (
        "Part of the link is missing or was changed, for example by a mail program that "
        "wrapped a long line. Open the email again and use the button, or open the task in "
        "your inbox."
    )
    http_status = 400


class LinkUnknown(LinkProblem):
    code = "link_unknown"
    heading = "We don't recognise this link"
    explanation = (
        "This link was not issued by this organisation's Countersign site. Check that you "
        "opened it from the right email, or open the task in your inbox."
    )
    http_status = 404


class LinkExpired(LinkProblem):
    code = "link_expired"
    heading = "This link has expired"
    explanation = (
        "Emailed decision links work for a limited time. Sign in and decide from your inbox; "
        "the task is still waiting for you there if it has not been decided."
    )
    http_status = 410


class LinkUsed(LinkProblem):
    code = "link_used"
    heading = "This link has already been used"
    explanation = (
        "A decision was already recorded with this link. Each link works once. Open the "
        "request to see where it stands."
    )
    http_status = 410


class LinkRevoked(LinkProblem):
    code = "link_revoked"
    heading = "This task no longer needs you"
    explanation = (
        "The task was decided, handed to someone else or closed since this email was sent, "
        "so the link was withdrawn. Nothing was changed."
    )
    http_status = 410


class LinkWrongTask(LinkProblem):
    code = "link_wrong_task"
    heading = "This link is for a different task"
    explanation = (
        "The decision you sent does not match the task this link was issued for. Nothing "
        "was changed. Open the email again and use its button."
    )
    http_status = 400


class SignInRequired(LinkProblem):
    code = "sign_in_required"
    heading = "Sign in to decide"
    explanation = (
        "Your organisation asks approvers to sign in before deciding this kind of request "
        "from an email. After signing in you come straight back here."
    )
    http_status = 403


class LinkNotPending(LinkProblem):
    code = "link_not_pending"
    heading = "Open the link from your email again"
    explanation = (
        "You are signed in, but this browser no longer holds the link you opened (it is kept "
        "only until you sign in, and signing in as a different person clears it). Open the "
        "email again and use its button, or open the task in your inbox."
    )
    http_status = 404
