// libFuzzer runs `fuzzDecimal` (FuzzDecimal.swift) on each input.
import FuzzSupport

runLibFuzzer(fuzzDecimal)
