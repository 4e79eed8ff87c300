# English pages show dates as m/d/Y (Django's default); they are typed the same way, and ISO
# is still read. Dates are always text inputs, so the browser's own picker never shows another
# language's format.
DATE_INPUT_FORMATS = ["%m/%d/%Y", "%Y-%m-%d"]
