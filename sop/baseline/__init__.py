"""The statistical baseline: per series, competing methods chosen by rolling-origin error
(engine.py, methods.py, outliers.py); many series at once in worker processes (batch.py);
the CSV command's reading and writing (csvfile.py); a cycle's documents (cycle.py)."""
