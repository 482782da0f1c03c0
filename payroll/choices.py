from django.db import models
from django.utils.translation import gettext_lazy as _


class ComponentKind(models.TextChoices):
    """What a salary component does to the payslip."""

    EARNING = "earning", _("Earning (应发)")  # paid in cash, taxable
    DEDUCTION = "deduction", _("Deduction (扣款)")  # taken off pay before tax (penalties, unpaid leave...)
    EMPLOYER_COST = "employer_cost", _("Employer cost (单位成本)")  # paid by the company on top of pay
    BENEFIT = "benefit", _("Non-cash benefit (福利)")  # room and board: not paid out, not taxed


class SystemLine(models.TextChoices):
    """Lines the payroll adds after the components; their rules live in code and in the insurance policy.

    Social insurance is one line per type, as the withholding return declares it (基本养老保险费, 基本医疗保险费,
    失业保险费), each rounded on its own. SOCIAL_INSURANCE and EMPLOYER_SOCIAL_INSURANCE are the single lines of
    payslips computed before that: no new payslip has them, old ones keep them (and their names)."""

    CORRECTION = "correction", _("Corrections of earlier months")
    SOCIAL_INSURANCE = "social_insurance", _("Social insurance, employee (社保个人)")
    PENSION = "pension_insurance", _("Pension insurance, employee (养老个人)")
    MEDICAL = "medical_insurance", _("Medical insurance, employee (医疗个人)")
    UNEMPLOYMENT = "unemployment_insurance", _("Unemployment insurance, employee (失业个人)")
    HOUSING_FUND = "housing_fund", _("Housing fund, employee (公积金个人)")
    INCOME_TAX = "income_tax", _("Individual income tax (个税)")
    EMPLOYER_SOCIAL_INSURANCE = "employer_social_insurance", _("Social insurance, employer (社保单位)")
    EMPLOYER_PENSION = "employer_pension_insurance", _("Pension insurance, employer (养老单位)")
    EMPLOYER_MEDICAL = "employer_medical_insurance", _("Medical insurance incl. maternity, employer (医疗单位)")
    EMPLOYER_UNEMPLOYMENT = "employer_unemployment_insurance", _("Unemployment insurance, employer (失业单位)")
    EMPLOYER_INJURY = "employer_injury_insurance", _("Work injury insurance, employer (工伤单位)")
    EMPLOYER_HOUSING_FUND = "employer_housing_fund", _("Housing fund, employer (公积金单位)")


class WithholdingOption(models.TextChoices):
    """How the cumulative basic deduction counts for an employee and tax year (payroll.tax.basic_deduction)."""

    STANDARD = "standard", _("Standard: 5,000 × months employed this year")
    FIRST_INCOME = "first_income", _("First wage income this year: 5,000 × the month's number (2020 No. 13)")
    LOW_INCOME = "low_income", _("Last year at most 60,000, all year with us: 60,000 from January (2020 No. 19)")


class InsuranceRounding(models.TextChoices):
    """How a city rounds each insurance and housing fund amount (each type on its own): most to the cent, some
    (their social insurance bureau's rule) to the yuan. Both half up (四舍五入)."""

    CENT = "cent", _("To the cent (0.01), half up")
    YUAN = "yuan", _("To the yuan (1), half up")


class AdjustmentKind(models.TextChoices):
    BONUS = "bonus", _("Bonus (奖励)")
    PENALTY = "penalty", _("Penalty (处罚)")
    CORRECTION = "correction", _("Correction of an earlier month (补发/补扣)")


class RunStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    RUNNING = "running", _("Running")
    FAILED = "failed", _("Failed")
    READY = "ready", _("Ready for approval")
    APPROVED = "approved", _("Approved")
    PAID = "paid", _("Paid")


LOCKED_STATUSES = (RunStatus.APPROVED, RunStatus.PAID)


class ExportStatus(models.TextChoices):
    """The life of a workbook export: queued → running → done (or failed, and then it may be run again); a done
    export's file is removed after PAYROLL_EXPORT_KEEP_DAYS, or once the run is computed again (removed)."""

    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Being written")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    REMOVED = "removed", _("File removed")


class DeductionCategory(models.TextChoices):
    """The categories of special additional deductions (专项附加扣除) an employee declares; their amounts and caps
    are in payroll.deductions (one table, with the announcement each comes from)."""

    CHILDREN_EDUCATION = "children_education", _("Children's education (子女教育)")
    INFANT_CARE = "infant_care", _("Care of infants under 3 (3岁以下婴幼儿照护)")
    DEGREE_EDUCATION = "degree_education", _("Continuing education, degree (继续教育·学历)")
    CERTIFICATE_EDUCATION = (
        "certificate_education",
        _("Continuing education, vocational certificate (继续教育·职业资格)"),
    )
    HOUSING_LOAN = "housing_loan", _("Housing loan interest (住房贷款利息)")
    HOUSING_RENT = "housing_rent", _("Housing rent (住房租金)")
    ELDERLY_SUPPORT = "elderly_support", _("Elderly support (赡养老人)")
    PERSONAL_PENSION = "personal_pension", _("Personal pension (个人养老金)")
