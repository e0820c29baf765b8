// libFuzzer runs `fuzzRuntimeAPI` (FuzzRuntimeAPI.swift) on each input.
import FuzzSupport

runLibFuzzer(fuzzRuntimeAPI)
