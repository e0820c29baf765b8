// `ExactDecimal` and `JSONValue` are part of this module's API (costs, reports, metrics as JSON).
@_exported import ExactJSON
