"""The register of outgoing documents: numbers per issuing body and year, and the life of
an issued document (replacement, correction, recall, the paper copy). docs/documents.md.

What other packages call (the plan's issue, the signing side):

- ``assign_number(unit, kind, Issue(...), on=..., user_id=..., replaces=...)``
- ``record_outside(unit, values, user_id)``
- ``entry_of(document_type, document_id)``, ``next_notation(unit, kind)``
- ``recall(entry, reason, user_id)``, ``issue_correction(entry, text, user_id)``
- ``mark_digitally_signed(entry, page_amount=...)``
"""
