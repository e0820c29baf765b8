// libFuzzer runs `fuzzEvent` (FuzzEvent.swift) on each input.
import FuzzSupport

runLibFuzzer(fuzzEvent)
