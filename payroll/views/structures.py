"""Salary structure pages."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from roles.permissions import RuleRequiredMixin
from roles.selectors import with_names
from shop_ops.exceptions import ShopOpsError

from .. import services
from ..engine import VARIABLES, ComponentError, ComponentSpec
from ..forms import ComponentFormSet, VersionForm
from ..models import SalaryStructure
from ..permissions import can_edit_structures, can_view_payroll_inputs


class StructureListView(RuleRequiredMixin, TemplateView):
    """Manager, Finance: every salary structure and its current version."""

    rule = staticmethod(can_view_payroll_inputs)
    template_name = "payroll/structure_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        structures = SalaryStructure.objects.select_related("role__department", "employee").prefetch_related(
            "versions__components"
        )
        context["structures"] = structures
        return context


class StructureDetailView(RuleRequiredMixin, TemplateView):
    """Manager, Finance: a structure's versions and their components."""

    rule = staticmethod(can_view_payroll_inputs)
    template_name = "payroll/structure_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        structure = get_object_or_404(SalaryStructure.objects.select_related("role", "employee"), pk=self.kwargs["pk"])
        context.update(
            structure=structure,
            versions=with_names(structure.versions.prefetch_related("components"), "created_by"),
            can_edit=can_edit_structures(self.request.user),
        )
        return context


class StructureEditView(RuleRequiredMixin, TemplateView):
    """Manager: edit the components as a new version; 'Preview' shows the what-if before anything is saved."""

    rule = staticmethod(can_edit_structures)
    template_name = "payroll/structure_edit.html"

    def get_structure(self):
        return get_object_or_404(SalaryStructure, pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        structure = self.get_structure()
        current = structure.versions.prefetch_related("components").order_by("-effective_from").first()
        if "formset" not in kwargs:
            initial = [
                {"code": c.code, "name": c.name, "kind": c.kind, "formula": c.formula}
                for c in (current.components.all() if current else [])
            ]
            context["formset"] = ComponentFormSet(initial=initial)
            context["version_form"] = VersionForm(initial={"effective_from": services.current_month()})
        context.update(structure=structure, current=current, variables=sorted(VARIABLES.items()))
        return context

    def post(self, request, *args, **kwargs):
        structure = self.get_structure()
        formset = ComponentFormSet(request.POST)
        version_form = VersionForm(request.POST)
        context = {"formset": formset, "version_form": version_form}
        if formset.is_valid() and version_form.is_valid():
            specs = [
                ComponentSpec(f["code"], f["name"], f["kind"], f["formula"])
                for f in formset.cleaned_data
                if f and not f.get("DELETE")
            ]
            month = version_form.cleaned_data["effective_from"]
            try:
                if "preview" in request.POST:
                    version = structure.versions.filter(effective_from__lte=month).order_by("-effective_from").first()
                    if version is None:
                        raise ComponentError(_("No version in force that month to compare with."), row=0, field="code")
                    context["preview"] = services.preview_structure_change(
                        version=version, components=specs, month=month
                    )
                    context["preview_codes"] = [s.code for s in specs]
                else:
                    services.save_structure_version(
                        structure=structure,
                        effective_from=month,
                        components=specs,
                        note=version_form.cleaned_data["note"],
                        user=request.user,
                    )
                    messages.success(request, _("Saved as the version from %(month)s.") % {"month": f"{month:%Y-%m}"})
                    return redirect(structure.get_absolute_url())
            except ComponentError as error:
                kept = [f for f in formset.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
                if error.row < len(kept):
                    kept[error.row].add_error(error.field, error.message)
                else:
                    version_form.add_error(None, error.message)
            except ShopOpsError as error:
                version_form.add_error(None, error.message)
            except ValidationError as error:
                version_form.add_error(None, error.messages)
        return self.render_to_response(self.get_context_data(**context))
