# Django's Vietnamese formats do not group thousands; amounts in VND read far better grouped
# ("150.000.000 VND"), as Vietnamese invoices write them.
# The long date is written as it reads inside a sentence ("được bảo hộ đến ngày 5 tháng 3
# năm 2026"): Django's own format capitalises "Ngày", wrong anywhere but a sentence's start.
DATE_FORMAT = r"\n\g\à\y j \t\h\á\n\g n \n\ă\m Y"
SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "H:i d/m/Y"
# Admin shows times with DATETIME_FORMAT: as the portal does, not "16:20 Ngày 6 tháng 12 năm 2026".
DATETIME_FORMAT = "H:i d/m/Y"
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "."
NUMBER_GROUPING = 3
# Dates are typed as they are shown (dd/mm/yyyy); ISO is still read, for scripts and tests.
DATE_INPUT_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]
