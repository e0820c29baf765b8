// libFuzzer runs `fuzzSigV4` (FuzzSigV4.swift) on each input.
import FuzzSupport

runLibFuzzer(fuzzSigV4)
