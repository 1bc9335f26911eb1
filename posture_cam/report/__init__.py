"""The result record, its wording, the exercise catalogue, the session and the PDF."""
