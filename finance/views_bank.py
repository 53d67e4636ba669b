"""The bank's pages: the queue of financing requests addressed to the officer's bank, the review of one
request with its pledged declarations' ledger proofs, and one POST view per bank action.

Views parse a form and call the finance services, which check the role, the bank and the
request's locked status. A request addressed to another bank is 404. An action that lost a
race (``TransitionNotAllowed``) becomes a message naming the request's status now; any
other domain or validation error is shown on the action's form.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from portal.choices import Role
from portal.exceptions import DomainError, TransitionNotAllowed
from portal.roles import role_required

from . import services
from .choices import RequestAction
from .forms_bank import (
    ApproveForm,
    AskInformationForm,
    BankQueueFilterForm,
    CloseForm,
    MoneyMovementForm,
    RejectForm,
)
from .models import FinancingDocument, FinancingRequest
from .selectors import (
    bank_queue_filter_choices,
    financing_request_get_for_bank,
    financing_request_page_for_bank,
    financing_request_review,
)

bank_only = role_required(Role.BANK_OFFICER)

# action → (form class, form prefix, the service, how the form's fields map onto the service's arguments)
BANK_ACTIONS = {
    RequestAction.APPROVE: (
        ApproveForm,
        "approve",
        lambda d: {
            "approved_amount": d["approved_amount"],
            "interest_rate_percent": d["interest_rate_percent"],
            "conditions": d["conditions"],
        },
    ),
    RequestAction.REJECT: (RejectForm, "reject", lambda d: {"reason": d["reason"]}),
    RequestAction.ASK_INFORMATION: (AskInformationForm, "ask", lambda d: {"message": d["message"]}),
    RequestAction.DISBURSE: (
        MoneyMovementForm,
        "disburse",
        lambda d: {"amount": d["amount"], "value_date": d["value_date"], "bank_reference": d["bank_reference"]},
    ),
    RequestAction.REPAY: (
        MoneyMovementForm,
        "repay",
        lambda d: {"amount": d["amount"], "value_date": d["value_date"], "bank_reference": d["bank_reference"]},
    ),
    RequestAction.CLOSE: (CloseForm, "close", lambda d: {"note": d["note"]}),
}


@bank_only
@require_GET
def bank_queue_view(request):
    """Requests addressed to the officer's bank, newest first, filtered and paged by keyset."""
    choices = bank_queue_filter_choices(actor=request.user)
    form = BankQueueFilterForm(request.GET or None, products=choices["products"], traders=choices["traders"])
    filters = form.filters() if request.GET else {}
    page = financing_request_page_for_bank(
        actor=request.user, after=request.GET.get("after", ""), before=request.GET.get("before", ""), **filters
    )
    query = request.GET.copy()
    for cursor in ("after", "before"):
        query.pop(cursor, None)
    return render(
        request,
        "finance/bank/queue.html",
        {
            "filter_form": form,
            "page": page,
            "query": query.urlencode(),
            "filtered": any(value not in (None, "") for value in filters.values()),
        },
    )


def _render_review(request, request_id: int, *, bound: dict | None = None, status: int = 200):
    try:
        context = financing_request_review(actor=request.user, request_id=request_id)
    except FinancingRequest.DoesNotExist:
        raise Http404(_("No such financing request.")) from None
    financing_request = context["financing_request"]
    forms = {}
    for action, (form_class, prefix, _arguments) in BANK_ACTIONS.items():
        initial = {"approved_amount": financing_request.amount} if action == RequestAction.APPROVE else None
        forms[prefix] = (bound or {}).get(action) or form_class(prefix=prefix, initial=initial)
    context.update(
        {
            "forms": forms,
            "allowed": set(services.financing_allowed_actions(financing_request, request.user)),
            "action_urls": {
                prefix: reverse(f"finance:bank_{action}", args=[financing_request.pk])
                for action, (_form, prefix, _arguments) in BANK_ACTIONS.items()
            },
            "api_base": request.build_absolute_uri(reverse("api-ledger-public-key")).removesuffix("public-key"),
            "portal_base": request.build_absolute_uri("/").rstrip("/"),
        }
    )
    return render(request, "finance/bank/review.html", context, status=status)


@bank_only
@require_GET
def bank_request_view(request, pk: int):
    """One request addressed to the bank: the request, its pledged declarations and ledger proofs, the actions."""
    return _render_review(request, pk)


def _bank_action(request, pk: int, action: str):
    try:
        financing_request = financing_request_get_for_bank(actor=request.user, request_id=pk)
    except FinancingRequest.DoesNotExist:
        raise Http404(_("No such financing request.")) from None
    form_class, prefix, arguments = BANK_ACTIONS[action]
    form = form_class(request.POST, prefix=prefix)
    if form.is_valid():
        try:
            services.financing_request_transition(
                actor=request.user, request_id=financing_request.pk, action=action, **arguments(form.cleaned_data)
            )
        except TransitionNotAllowed as error:
            # The service names the request's status now ("… is now “Approved” … reload").
            messages.error(request, error.message)
            return redirect("finance:bank_request_detail", financing_request.pk)
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for name, problems in error.message_dict.items():
                    form.add_error(name if name in form.fields else None, problems)
            else:
                form.add_error(None, error.messages)
        else:
            messages.success(
                request,
                _("%(action)s: done for request %(reference)s.")
                % {"action": RequestAction(action).label, "reference": financing_request.reference},
            )
            return redirect("finance:bank_request_detail", financing_request.pk)
    return _render_review(request, financing_request.pk, bound={action: form}, status=400)


def _action_view(action: str):
    @bank_only
    @require_POST
    def view(request, pk: int):
        return _bank_action(request, pk, action)

    view.__name__ = f"bank_{action}_view"
    view.__doc__ = f"POST: {RequestAction(action).label} (bank officers of the request's bank)."
    return view


bank_approve_view = _action_view(RequestAction.APPROVE)
bank_reject_view = _action_view(RequestAction.REJECT)
bank_ask_information_view = _action_view(RequestAction.ASK_INFORMATION)
bank_disburse_view = _action_view(RequestAction.DISBURSE)
bank_repay_view = _action_view(RequestAction.REPAY)
bank_close_view = _action_view(RequestAction.CLOSE)


@bank_only
@require_GET
def bank_document_view(request, pk: int, document_id: int):
    """A document attached to a request addressed to the bank, as a download."""
    try:
        financing_request = financing_request_get_for_bank(actor=request.user, request_id=pk)
        document = financing_request.documents.get(pk=document_id)
    except (FinancingRequest.DoesNotExist, FinancingDocument.DoesNotExist):
        raise Http404(_("No such document.")) from None
    response = FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=document.original_name,
        content_type=document.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
