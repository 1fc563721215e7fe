import pytest

from longdoc.extraction.conventions import Conventions, conventions_of


@pytest.mark.parametrize(
    ("text", "conventions"),
    [
        ("The invoice is due on 03/04/2024 for the goods delivered by the carrier.", Conventions()),
        ("Die Rechnung ist am 03/04/2024 fällig und wird von der Bank bezahlt.", Conventions(True, True)),
        (
            "La facture est payable le 03/04/2024 pour les produits livrés avec le transport.",
            Conventions(True, True),
        ),
        ("De factuur is op 03/04/2024 betaald voor een levering van de goederen.", Conventions(True, True)),
        ("The invoice of 25/12/2023 totals 1.299,00 for the goods.", Conventions(True, True)),  # shown
        ("Die Rechnung vom 12/25/2023 ist fällig und wird mit 1,299.00 bezahlt.", Conventions()),  # shown
        ("发票日期：2024年3月1日，金额 1,299.00 元。", Conventions()),
        # one habit shown, the other follows: few common words, a decimal comma, ambiguous dates
        ("Facture F-1\nDate: 12/04/2024\nMonitor Lumo 27 | 1 | 347,67 €", Conventions(True, True)),
        ("Invoice F-1\nDate: 12/04/2024\nMonitor Lumo 27 | 1 | 1,347.67", Conventions()),
        ("Datum: 25/12/2023\nMonitor Lumo 27 | 1 | 347", Conventions(True, True)),
    ],
)
def test_a_documents_conventions(text: str, conventions: Conventions) -> None:
    assert conventions_of(text) == conventions
