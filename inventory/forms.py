import re

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shop_ops.widgets import MonthSelect

from .choices import MANUAL_KINDS, MovementKind, PurchaseRequestStatus
from .exceptions import InventoryConflict
from .models import Location, Sku, Warehouse
from .selectors import sku_by_code
from .services import ColourInput, PackedItem, check_sku_code_free


class SkuCodeField(forms.CharField):
    """A SKU typed by its code (a select of every SKU would be far too long)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("SKU code"))
        kwargs.setdefault("max_length", 40)
        super().__init__(**kwargs)

    def clean(self, value):
        code = super().clean(value).strip()
        sku = sku_by_code(code)
        if sku is None:
            raise forms.ValidationError(_("No SKU has the code “%(code)s”.") % {"code": code})
        return sku


class LocationChoiceField(forms.ModelChoiceField):
    """A location picker showing each as 杭州主仓 / A-01: the warehouse by its name, as people know it."""

    def label_from_instance(self, obj) -> str:
        return obj.label


def location_field(label=None):
    return LocationChoiceField(queryset=Location.objects.select_related("warehouse"), label=label or _("Location"))


LOSS_NEEDS_REASON = _("Say why the stock is written off (broken, lost…): a loss needs its reason.")


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

    def clean(self):
        data = super().clean()
        if data.get("kind") == MovementKind.LOSS and not (data.get("reason") or "").strip():
            self.add_error("reason", LOSS_NEEDS_REASON)
        return data


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
    month = forms.DateField(label=_("Month"), widget=MonthSelect(), input_formats=["%Y-%m"])
    blind = forms.BooleanField(label=_("Blind count (counters do not see system figures)"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("month", timezone.localdate().replace(day=1))


class RecordCountForm(forms.Form):
    counted_quantity = forms.IntegerField(label=_("Counted"), min_value=0, max_value=1_000_000)  # as a movement


class ReviewForm(forms.Form):
    """No decision is preselected: finance picks 审批通过 or 驳回 on purpose, and the choice survives an error."""

    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("", _("Please choose")), ("approve", _("Approve")), ("reject", _("Reject"))],
        error_messages={"required": _("Choose approve or reject.")},
    )
    note = forms.CharField(label=_("Note"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class RecheckForm(forms.Form):
    """A rejected loss report rechecked: each line's difference after the recount, prefilled with the report's
    (counted minus system: -3 short, +2 over, 0 none after all), and a note of what was checked."""

    note = forms.CharField(
        label=_("What you rechecked and found"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Say what you rechecked and what you found.")},
    )

    def __init__(self, *args, lines=(), counted=None, **kwargs):
        """`counted`: {(sku_id, location_id): (expected, counted)} of the count's lines, shown beside each field so
        the difference is worked out from the count's system figure, not today's stock (a tester subtracted the
        stock after the close and wrote off goods on the shelf)."""
        super().__init__(*args, **kwargs)
        self.lines = list(lines)
        counted = counted or {}
        for line in self.lines:
            figures = counted.get((line.sku_id, line.location_id))
            help_text = ""
            if figures is not None:
                help_text = _(
                    "At the count the system had %(expected)s and %(counted)s were counted. Difference = what you "
                    "find now − %(expected)s."
                ) % {"expected": figures[0], "counted": figures[1]}
            self.fields[f"line_{line.pk}"] = forms.IntegerField(
                label=f"{line.sku.code} {line.sku.name} · {line.location.code}",
                initial=line.quantity if line.surplus else -line.quantity,
                min_value=-1_000_000,
                max_value=1_000_000,
                help_text=help_text,
            )

    def differences(self) -> dict[int, int]:
        return {line.pk: self.cleaned_data[f"line_{line.pk}"] for line in self.lines}


class PurchaseRequestForm(forms.Form):
    sku = SkuCodeField()
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=1_000_000)
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class PurchaseStatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[
            (status.value, status.label)
            for status in (
                PurchaseRequestStatus.ORDERED,
                PurchaseRequestStatus.RECEIVED,
                PurchaseRequestStatus.CANCELLED,
            )
        ],
    )
    location = LocationChoiceField(
        label=_("Location"), queryset=Location.objects.select_related("warehouse"), required=False
    )


class FlagForm(forms.Form):
    reason = forms.CharField(label=_("What should customer service check?"), max_length=200)


class ResolveForm(forms.Form):
    note = forms.CharField(label=_("What was agreed with the customer"), max_length=200)


class CancelOrderForm(forms.Form):
    """Cancelling cannot be undone: the box must be ticked (the confirmation, without a second page)."""

    confirm = forms.BooleanField(
        label=_("Yes, cancel this order"),
        error_messages={"required": _("Tick the box to confirm that the order is cancelled.")},
    )


# --- Catalogue ------------------------------------------------------------------------------------------------------


class SkuForm(forms.ModelForm):
    """A SKU (货号 + colour + size) or an auxiliary material; the model's rules and constraints give field errors."""

    class Meta:
        model = Sku
        fields = [
            "kind",
            "code",
            "style_code",
            "name",
            "colour",
            "size",
            "barcode",
            "unit_cost",
            "sale_price",
            "warning_level",
            "reorder_quantity",
            "is_listed",
        ]

    def clean_code(self):
        code = self.cleaned_data["code"].strip()
        try:
            check_sku_code_free(code=code, pk=self.instance.pk)  # at the field, naming the SKU that has it
        except InventoryConflict as exc:
            raise forms.ValidationError(exc.message) from None
        return code

    def clean_barcode(self):
        barcode = self.cleaned_data["barcode"].strip()
        # The database constraint is the guarantee; this puts its message at the field (a conditional constraint
        # would otherwise show it at the top of the form).
        if barcode and Sku.objects.filter(barcode=barcode).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("Another SKU already has this barcode."))
        return barcode


class WarehouseForm(forms.ModelForm):
    class Meta:
        model = Warehouse
        fields = ["code", "name"]


class LocationForm(forms.ModelForm):
    class Meta:
        model = Location
        fields = ["warehouse", "code", "name"]
        labels = {"warehouse": _("Warehouse")}

    def clean_code(self):
        return self.cleaned_data["code"].strip().upper()

    def clean(self):
        data = super().clean()
        warehouse, code = data.get("warehouse"), data.get("code")
        taken = Location.objects.filter(warehouse=warehouse, code=code).exclude(pk=self.instance.pk)
        if warehouse and code and taken.exists():
            # At the field, not at the top of the form (the constraint spans two fields, so Django puts it there).
            self.add_error(
                "code", _("%(warehouse)s already has a location %(code)s.") % {"warehouse": warehouse, "code": code}
            )
        return data


# --- Packing and shipping -----------------------------------------------------------------------------------------

_SCANNED_LINE = re.compile(r"^(?P<code>\S+?)(?:\s*[x×*]\s*(?P<quantity>\d{1,5}))?$", re.IGNORECASE)


def parse_scanned_items(text: str) -> list[PackedItem]:
    """One scanned SKU code or barcode per line; `CODE x 3` (also with the multiplication sign or *) for several."""
    items, bad = [], []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        match = _SCANNED_LINE.match(line)
        if match is None:
            bad.append(str(number))
            continue
        items.append(PackedItem(match["code"], int(match["quantity"] or 1)))
    if bad:
        raise forms.ValidationError(
            _("Line %(lines)s: write one SKU code or barcode per line, or “CODE x 2”.") % {"lines": ", ".join(bad)}
        )
    if not items:
        raise forms.ValidationError(_("Scan or type at least one item."))
    return items


class PackForm(forms.Form):
    items = forms.CharField(
        label=_("What went into the parcel: scan or type one SKU code or barcode per line (“CODE x 2” for several)"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4, "autocomplete": "off", "autofocus": True}),
    )

    def clean_items(self):
        return parse_scanned_items(self.cleaned_data["items"])


class ShipForm(forms.Form):
    courier = forms.CharField(label=_("Courier"), max_length=30, required=False)
    tracking_number = forms.CharField(label=_("Tracking number (运单号)"), max_length=40)


_COLOUR = re.compile(r"^(?P<name>[^/]+?)\s*(?:/\s*(?P<code>[A-Za-z0-9]{1,10}))?$")


class ProductForm(forms.Form):
    """A new product (款) and its grid of SKUs, one per colour and size."""

    style_code = forms.CharField(label=_("Item number (款号/货号)"), max_length=20)
    name = forms.CharField(label=_("Name"), max_length=100)
    colours = forms.CharField(
        label=_("Colours, comma separated, each with its code for the SKU: 白/WHT, 黑/BLK"), max_length=300
    )
    sizes = forms.CharField(label=_("Sizes, comma separated: S, M, L"), max_length=200)
    unit_cost = forms.DecimalField(label=_("Cost price (成本价)"), max_digits=14, decimal_places=2, min_value=0)
    sale_price = forms.DecimalField(label=_("Sale price (售价)"), max_digits=14, decimal_places=2, min_value=0)
    warning_level = forms.IntegerField(label=_("Warning level per SKU"), min_value=0, initial=0)
    reorder_quantity = forms.IntegerField(label=_("Reorder quantity per SKU"), min_value=0, initial=0)

    def clean_style_code(self):
        code = self.cleaned_data["style_code"].strip().upper()
        if not re.fullmatch(r"[A-Z0-9][A-Z0-9_.]*", code):
            raise forms.ValidationError(_("Use letters, digits, dots or underscores (it starts every SKU code)."))
        return code

    def clean_colours(self):
        colours, bad = [], []
        for part in (p.strip() for p in self.cleaned_data["colours"].replace("，", ",").split(",")):
            if not part:
                continue
            match = _COLOUR.match(part)
            code = (match and (match["code"] or match["name"])) or ""
            if not match or not re.fullmatch(r"[A-Za-z0-9]{1,10}", code):
                bad.append(part)
                continue
            colours.append(ColourInput(match["name"].strip(), code.upper()))
        if bad:
            raise forms.ValidationError(
                _("Give each colour a short code of letters or digits: %(list)s (e.g. 白/WHT).")
                % {"list": ", ".join(bad)}
            )
        if not colours:
            raise forms.ValidationError(_("Give at least one colour."))
        return colours

    def clean_sizes(self):
        sizes = [p.strip().upper() for p in self.cleaned_data["sizes"].replace("，", ",").split(",") if p.strip()]
        bad = [size for size in sizes if not re.fullmatch(r"[A-Z0-9.]{1,10}", size)]
        if bad:
            raise forms.ValidationError(
                _("Sizes are short codes like S, M, XL or 30: %(list)s.") % {"list": ", ".join(bad)}
            )
        if not sizes:
            raise forms.ValidationError(_("Give at least one size."))
        return sizes
