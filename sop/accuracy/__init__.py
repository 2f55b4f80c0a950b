"""Forecast accuracy and forecast value added of closed cycles (issue 16): lags
(`lags`), measures (`measures`), scoped bulk reads (`reading`), the use case (`service`) and
the Accuracy page (`page`, `routes`)."""
