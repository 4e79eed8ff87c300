# Django's Vietnamese formats do not group thousands; amounts in VND read far better grouped
# ("150.000.000 VND"), as Vietnamese invoices write them.
DATE_FORMAT = r"\N\g\à\y d \t\h\á\n\g n \n\ă\m Y"
SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "H:i d/m/Y"
# Admin shows times with DATETIME_FORMAT: as the portal does, not "16:20 Ngày 6 tháng 12 năm 2026".
DATETIME_FORMAT = "H:i d/m/Y"
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "."
NUMBER_GROUPING = 3
# Dates are typed as they are shown (dd/mm/yyyy); ISO is still read, for scripts and tests.
DATE_INPUT_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]
