"""Documents of record and their digital signatures (Decree 30/2020/NĐ-CP; docs/signing.md).

What other parts call:

- ``request_record(source_of_plan(plan) | source_of_report(report) |
  source_of_consolidation(row), user_id)``: make the PDF of record in a background job;
- ``render_pdf(docx, signer_name, attachment)``: the same, at once, for a caller that
  has its own job;
- ``accept_signed(record, data, user_id, organisation=False)``: a signed PDF uploaded by
  the signer (or by the clerk, ``organisation=True``), verified and kept;
- ``sign_as_organisation(record, user_id)``: the organisation's signature applied with
  the configured certificate (the clerk's "issue" step);
- ``verify(...)`` (``portal.signing.verify``): the checks of a signed PDF.
"""

from portal.signing.service import (
    SigningError,
    accept_signed,
    record_of,
    render_pdf,
    render_record,
    request_record,
    sign_as_organisation,
    source_of_consolidation,
    source_of_plan,
    source_of_report,
)
from portal.signing.verify import VerificationError, verify

__all__ = ["SigningError", "VerificationError", "accept_signed", "record_of", "render_pdf",
           "render_record", "request_record", "sign_as_organisation",
           "source_of_consolidation", "source_of_plan", "source_of_report", "verify"]
