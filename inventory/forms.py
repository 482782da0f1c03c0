from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import MANUAL_KINDS, MovementKind
from .models import Location, Sku, Warehouse


class SkuCodeField(forms.CharField):
    """A SKU typed by its code (a select of every SKU would be far too long)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("SKU code"))
        kwargs.setdefault("max_length", 40)
        super().__init__(**kwargs)

    def clean(self, value):
        code = super().clean(value).strip()
        sku = Sku.objects.filter(code=code).first()
        if sku is None:
            raise forms.ValidationError(_("No SKU has the code “%(code)s”.") % {"code": code})
        return sku


def location_field(label=None):
    return forms.ModelChoiceField(queryset=Location.objects.select_related("warehouse"), label=label or _("Location"))


class MovementForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=[(k.value, k.label) for k in MANUAL_KINDS])
    sku = SkuCodeField()
    location = location_field()
    quantity = forms.IntegerField(label=_("Quantity (units)"), min_value=1, max_value=1_000_000)
    reference = forms.CharField(label=_("Reference (单号)"), max_length=60, required=False)
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)
    allow_negative = forms.BooleanField(label=_("Manager override: allow the level to go below zero"), required=False)

    def __init__(self, *args, may_override: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not may_override:
            del self.fields["allow_negative"]


class TransferForm(forms.Form):
    sku = SkuCodeField()
    from_location = location_field(_("From location"))
    to_location = location_field(_("To location"))
    quantity = forms.IntegerField(label=_("Quantity (units)"), min_value=1, max_value=1_000_000)
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


IMPORT_CHOICES = [
    (MovementKind.RECEIPT.value, _("Receipts (入库单)")),
    (MovementKind.SHIPMENT.value, _("Shipments (出库)")),
    (MovementKind.RETURN.value, _("Customer returns (退货)")),
    ("orders", _("Orders (订单)")),
]


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the file holds"), choices=IMPORT_CHOICES)
    file = forms.FileField(label=_("File (.xlsx or .csv, at most 5 MB)"))


class OpenCountForm(forms.Form):
    warehouse = forms.ModelChoiceField(queryset=Warehouse.objects.all(), label=_("Warehouse"), empty_label=None)
    month = forms.DateField(
        label=_("Month"), widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"), input_formats=["%Y-%m"]
    )
    blind = forms.BooleanField(label=_("Blind count (counters do not see system figures)"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("month", timezone.localdate().replace(day=1))


class RecordCountForm(forms.Form):
    counted_quantity = forms.IntegerField(label=_("Counted"), min_value=0, max_value=10_000_000)


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    note = forms.CharField(label=_("Note"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class PurchaseRequestForm(forms.Form):
    sku = SkuCodeField()
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=1_000_000)
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class PurchaseStatusForm(forms.Form):
    status = forms.ChoiceField(choices=[("ordered", "ordered"), ("received", "received"), ("cancelled", "cancelled")])
    location = forms.ModelChoiceField(queryset=Location.objects.all(), required=False)


class FlagForm(forms.Form):
    reason = forms.CharField(label=_("What should customer service check?"), max_length=200)


class ResolveForm(forms.Form):
    note = forms.CharField(label=_("What was agreed with the customer"), max_length=200)
