"""A case's Temporal history for people: decoded, labelled, in words, kept past Temporal.

- `labels`: reads back the summaries workflows give their timers and activities
  (caseflow/domain/summaries.py);
- `decode`: decrypts every payload of a history with the payload codec;
- `readable`: Temporal's events as `ReadableEvent`s, language-neutral (what is stored);
- `words`: a readable event in the reader's language and the policy's time zone;
- `store`: the readable history of every closed run, in PostgreSQL (retention, erasure and
  the personal-data export cover it);
- `archiver`: the worker-side loop that stores each run once it closes;
- `reader`: every run of a case, from Temporal while it has the run and from the store after;
- `export`: the readable history as CSV and XLSX.
"""
