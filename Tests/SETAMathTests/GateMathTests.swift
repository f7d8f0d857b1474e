// SETA's unified gate (SETA.md step 4; PrototypeGate) against numpy: class means, the shared within-task scatter,
// the LDA scores under the shrunk covariance, top-1 and soft top-k weights — after each of three tasks, since
// every new task changes Σ and so every earlier row Σ⁻¹ μ_t. Reference: scripts/fixtures/gate_reference.py
// (numpy, on the committed features in Fixtures/gate_reference.json).
import Foundation
import Testing
import SetaExperts

struct GateReference: Decodable {
    struct AfterTask: Decodable {
        let means: [[Double]], scatter: [Double], shrunkCovariance: [Double], scores: [[Double]], top1: [Int], softTopK: [[Double]]
    }
    let dimension: Int, shrinkage: Double, topK: Int, temperature: Double
    let features: [[[Double]]], queries: [[Double]], afterTask: [AfterTask]

    static let loaded: GateReference = {
        let url = Bundle.module.url(forResource: "gate_reference", withExtension: "json", subdirectory: "Fixtures")!
        return try! JSONDecoder().decode(GateReference.self, from: Data(contentsOf: url))
    }()
}

@Suite struct GateMathTests {
    let r = GateReference.loaded

    /// Gates after tasks 1, 2, 3 of the reference's features.
    func gates(_ options: GateOptions) -> [PrototypeGate] {
        let gate = PrototypeGate(dimension: r.dimension, options: options)
        return r.features.map { task in
            gate.addTask(features: task)
            let copy = PrototypeGate(dimension: r.dimension, options: options)
            copy.restore(means: gate.means, counts: gate.counts, scatter: gate.scatter)
            return copy
        }
    }

    @Test func gateMeansAndSharedScatterMatchNumpy() {
        for (gate, expected) in zip(gates(GateOptions(shrinkage: r.shrinkage)), r.afterTask) {
            #expect(close(gate.means.flatMap { $0 }, expected.means.flatMap { $0 }, 1e-12))
            #expect(close(gate.scatter, expected.scatter, 1e-12))
        }
    }

    @Test func gateLDAScoresAndTop1MatchNumpyAfterEveryTask() {
        let live = PrototypeGate(dimension: r.dimension, options: GateOptions(shrinkage: r.shrinkage))
        let restored = gates(GateOptions(shrinkage: r.shrinkage))
        for (k, (features, expected)) in zip(r.features, r.afterTask).enumerated() {
            live.addTask(features: features)                 // the gate as it grows, task by task
            let gate = live
            let scores = r.queries.map { gate.scores($0) }
            #expect(r.queries.map { restored[k].scores($0) } == scores)   // restored from its statistics: the same
            #expect(close(scores.flatMap { $0 }, expected.scores.flatMap { $0 }, 1e-9), "after task \(k + 1)")
            #expect(r.queries.map { gate.route($0) } == expected.top1)
            #expect(r.queries.map { gate.weights($0) } == expected.top1.map { t in (0...k).map { $0 == t ? 1 : 0 } })
        }
        // The shrinkage matters here (fewer examples per task than dimensions): without it the scores differ.
        let unshrunk = PrototypeGate(dimension: r.dimension, options: GateOptions(shrinkage: 0.05))
        r.features.forEach { unshrunk.addTask(features: $0) }
        #expect(!close(r.queries.flatMap { unshrunk.scores($0) }, r.afterTask[2].scores.flatMap { $0 }, 1e-3))
    }

    @Test func gateSoftTopKWeightsMatchNumpy() {
        let options = GateOptions(shrinkage: r.shrinkage, topK: r.topK, temperature: r.temperature)
        for (gate, expected) in zip(gates(options), r.afterTask) {
            let weights = r.queries.map { gate.weights($0).map(Double.init) }
            #expect(close(weights.flatMap { $0 }, expected.softTopK.flatMap { $0 }, 1e-6), "\(weights) vs \(expected.softTopK)")
        }
        // Soft, not saturated: some query shares its weight between two tasks.
        #expect(r.afterTask[2].softTopK.contains { $0.filter { $0 > 0.01 }.count == 2 })
    }
}
