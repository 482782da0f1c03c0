"""How personal numbers are shown: enough to recognise, never enough to use."""


def mask(value: str, *, keep_start: int = 0, keep_end: int = 4) -> str:
    value = value or ""
    if len(value) <= keep_start + keep_end:
        return "*" * len(value)
    hidden = len(value) - keep_start - keep_end
    return value[:keep_start] + "*" * hidden + (value[-keep_end:] if keep_end else "")


def mask_bank_account(value: str) -> str:
    return mask(value, keep_start=0, keep_end=4)


def mask_id_number(value: str) -> str:
    return mask(value, keep_start=3, keep_end=4)


def mask_phone(value: str) -> str:
    return mask(value, keep_start=3, keep_end=4)
