// libFuzzer runs `fuzzQueryPage` (FuzzQueryPage.swift) on each input.
import FuzzSupport

runLibFuzzer(fuzzQueryPage)
