// The results.json record: exact keys, nulls written as null, round trips, atomic writes, typed read errors.
import Foundation
import Testing
@testable import SetaMetrics

private func temporaryFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("seta-metrics-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

private func jsonObject(_ data: Data) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
}

private func fullRecord() throws -> RunResults {
    let accuracy = try AccuracyMatrix(rows: [[80, 10], [60, 90]], zeroShot: [5, 15])
    return RunResults(
        method: "seta", model: "SmolLM2-135M", seed: 18_446_744_073_709_551_557, benchmark: "order1",
        tasks: ["dbpedia", "amazon"], accuracy: accuracy,
        params: try ParameterGrowth(storedAfterTask: [100, 150], independentEquivalent: [400, 800]),
        routingAccuracy: 97.5,
        sharedUtilisation: SharedUtilisation(blocksReused: 0.625, sharedUpdateShare: [1, 0.4]),
        config: ["rank": 4, "alpha": 8.5, "targets": ["q_proj", "v_proj"], "replay": false, "gate": nil,
                 "thresholds": ["split": 50, "omega": 75]])
}

private func minimalRecord() -> RunResults {
    RunResults(method: "mtl-lora", model: "m", seed: 0, benchmark: nil, tasks: ["a"], matrix: [[50]], zeroShot: nil,
               metrics: Metrics(aa: 50, bwt: nil, fwt: nil, forgetting: nil), config: [:])
}

@Suite struct RunResultsTests {
    @Test func keysAreSnakeCase() throws {
        let object = try jsonObject(try fullRecord().jsonData())
        #expect(Set(object.keys) == ["method", "model", "seed", "benchmark", "tasks", "matrix", "zero_shot", "metrics",
                                     "params", "routing_accuracy", "shared_utilisation", "config"])
        let params = try #require(object["params"] as? [String: Any])
        #expect(Set(params.keys) == ["stored_after_task", "independent_equivalent"])
        let shared = try #require(object["shared_utilisation"] as? [String: Any])
        #expect(Set(shared.keys) == ["blocks_reused", "shared_update_share"])
        let metrics = try #require(object["metrics"] as? [String: Any])
        #expect(Set(metrics.keys) == ["aa", "bwt", "fwt", "forgetting"])
    }

    @Test func nullsAreWrittenAsNull() throws {
        let data = try minimalRecord().jsonData()
        let object = try jsonObject(data)
        for key in ["benchmark", "zero_shot", "params", "routing_accuracy", "shared_utilisation"] {
            #expect(object[key] is NSNull, "\(key) should be null")
        }
        let metrics = try #require(object["metrics"] as? [String: Any])
        for key in ["bwt", "fwt", "forgetting"] { #expect(metrics[key] is NSNull, "metrics.\(key) should be null") }
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"routing_accuracy\" : null"))
    }

    @Test func roundTripsThroughJSON() throws {
        for record in [try fullRecord(), minimalRecord()] {
            let decoded = try JSONDecoder().decode(RunResults.self, from: try record.jsonData())
            #expect(decoded == record)
        }
    }

    @Test func outputIsPrettySortedAndExact() throws {
        let text = String(decoding: try fullRecord().jsonData(), as: UTF8.self)
        #expect(text.hasSuffix("}\n") && text.contains("\n  \"benchmark\" : \"order1\""))
        // Sorted keys: "benchmark" < "config" < "matrix" < "method" < … < "zero_shot".
        let positions = ["\"benchmark\"", "\"config\"", "\"matrix\"", "\"method\"", "\"zero_shot\""].map {
            text.range(of: $0)!.lowerBound
        }
        #expect(positions == positions.sorted())
        // The seed survives as an exact integer, above 2^53.
        #expect(text.contains("\"seed\" : 18446744073709551557"))
    }

    @Test func missingOptionalKeysReadAsNil() throws {
        let json = #"{"method": "x", "model": "m", "seed": 1, "tasks": ["a"], "matrix": [[1]], "metrics": {"aa": 1}, "config": {}}"#
        let record = try JSONDecoder().decode(RunResults.self, from: Data(json.utf8))
        #expect(record.benchmark == nil && record.params == nil && record.metrics.bwt == nil)
        #expect(try record.accuracyMatrix().rows == [[1]])
    }

    @Test func writeIsAtomicAndLeavesNoTemporaryFile() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("results.json")
        try minimalRecord().write(to: url)
        try fullRecord().write(to: url)  // replaces the existing file
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["results.json"])
        #expect(try RunResults.read(from: url) == fullRecord())
    }

    @Test func writeIntoMissingFolderNamesTheFile() throws {
        let url = URL(fileURLWithPath: "/nonexistent-seta-\(UUID().uuidString)/results.json")
        do {
            try minimalRecord().write(to: url)
            Issue.record("expected an error")
        } catch {
            guard case .unwritable(let file, _) = error else { Issue.record("wrong error \(error)"); return }
            #expect(file == url.path)
        }
    }

    @Test func readErrorsNameTheFile() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let missing = folder.appendingPathComponent("absent.json")
        #expect { try RunResults.read(from: missing) } throws: { error in
            guard case ResultsFileError.unreadable(let file, _) = error else { return false }
            return file == missing.path
        }
        let bad = folder.appendingPathComponent("bad.json")
        try Data(#"{"method": "x", "model": "m", "seed": "one"}"#.utf8).write(to: bad)
        #expect { try RunResults.read(from: bad) } throws: { error in
            guard case ResultsFileError.malformed(let file, let reason) = error else { return false }
            return file == bad.path && (error as! ResultsFileError).description.hasPrefix(bad.path)
                && reason.contains("seed")
        }
    }

    @Test func jsonValueDecodesEveryKind() throws {
        let json = #"{"s": "x", "n": 2.5, "i": 3, "t": true, "f": false, "z": null, "a": [1, "b"], "o": {"k": [null]}}"#
        let value = try JSONDecoder().decode(JSONValue.self, from: Data(json.utf8))
        #expect(value == ["s": "x", "n": 2.5, "i": 3, "t": true, "f": false, "z": nil, "a": [1, "b"], "o": ["k": [nil]]])
        let again = try JSONDecoder().decode(JSONValue.self, from: try JSONEncoder().encode(value))
        #expect(again == value)
    }
}

@Suite struct ParameterGrowthTests {
    @Test func independentExpertsCountEveryFactor() {
        // rank 16 on q (576 → 576) and v (576 → 192): 16 · (1152 + 768) = 30 720 per task; 3 tasks → 92 160
        let targets = [(inFeatures: 576, outFeatures: 576), (inFeatures: 576, outFeatures: 192)]
        #expect(independentExpertParameters(rank: 16, targets: targets, tasks: 3) == 92_160)
        #expect(independentExpertParameters(rank: 16, targets: targets, tasks: 0) == 0)
    }

    @Test func ratioPerTask() throws {
        // rank 2 on one 3 → 5 matrix: 2 · 8 = 16 per task → [16, 32, 48]; stored [8, 12, 48] → [0.5, 0.375, 1]
        let growth = try ParameterGrowth(storedAfterTask: [8, 12, 48], rank: 2, targets: [(3, 5)])
        #expect(growth.independentEquivalent == [16, 32, 48])
        #expect(growth.ratio == [0.5, 0.375, 1])
    }

    @Test func inconsistentCountsThrow() {
        #expect(throws: ParameterGrowthError.countMismatch(stored: 2, independent: 1)) {
            try ParameterGrowth(storedAfterTask: [1, 2], independentEquivalent: [3])
        }
        #expect(throws: ParameterGrowthError.invalidCount(task: 1, stored: 2, independent: 0)) {
            try ParameterGrowth(storedAfterTask: [1, 2], independentEquivalent: [3, 0])
        }
        let json = #"{"stored_after_task": [1], "independent_equivalent": [1, 2]}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(ParameterGrowth.self, from: Data(json.utf8)) }
    }
}
