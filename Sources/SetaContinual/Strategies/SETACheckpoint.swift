// SETA's state at a task boundary: every expert tensor, Ω and θ*, the gate's statistics (float64, exact), and
// the per-task records (block states, sensitivities, reuse). `restore` rebuilds the strategy on a fresh model.
import Foundation
import SetaExperts
import SetaMetrics
import SetaModels
import SetaTensor

extension SETA {
    public func checkpoint() -> StrategyState {
        var state = StrategyState()
        for (p, pool) in pools.enumerated() {
            let n = pool.name
            for b in 0..<pool.shape.blocks {
                state.tensors["\(n).shared.\(b).A"] = pool.sharedA[b]
                state.tensors["\(n).shared.\(b).B"] = pool.sharedB[b]
                state.tensors["\(n).omega.\(b).A"] = omega[p][b].a
                state.tensors["\(n).omega.\(b).B"] = omega[p][b].b
                state.tensors["\(n).anchor.\(b).A"] = anchors[p][b].a
                state.tensors["\(n).anchor.\(b).B"] = anchors[p][b].b
            }
            for (t, expert) in pool.unique.enumerated() {
                state.tensors["\(n).unique.\(t).A"] = expert.a
                state.tensors["\(n).unique.\(t).B"] = expert.b
                for split in expert.splits {
                    state.tensors["\(n).unique.\(t).split.\(split.block).A"] = split.a
                    state.tensors["\(n).unique.\(t).split.\(split.block).B"] = split.b
                }
            }
        }
        let d = gate.dimension
        state.float64["gate.means"] = ([gate.taskCount, d], gate.means.flatMap { $0 })
        state.float64["gate.scatter"] = ([d, d], gate.scatter)
        func json<T: Encodable>(_ v: T) -> JSONValue { (try? JSONValue(encoding: v)) ?? .null }
        state.manifest = [
            "method": "seta", "config": .object(configuration), "tasks_completed": .number(Double(gate.taskCount)),
            "states": json(states), "sensitivities": json(sensitivities),
            "trained_in_place_by": json(trainedInPlaceBy.map { $0.map { $0.sorted() } }),
            "update_shares": json(updateShares), "running_product_sum": json(runningProduct.map(\.sum)),
            "running_product_count": json(runningProduct.map(\.count)), "gate_counts": json(gate.counts),
            "unique_splits": json(pools.map { $0.unique.map { $0.splits.map(\.block) } }),
            "initialised_from": json(initialisedFrom.map { $0 ?? -1 }),   // −1: U_t started at B = 0
        ]
        return state
    }

    /// Rebuilds SETA from a checkpoint on `model` (whose projections get the pools).
    public static func restore(_ state: StrategyState, model: LanguageModel) throws -> SETA {
        func decode<T: Decodable>(_ key: String, as: T.Type) throws -> T {
            guard let value = state.manifest[key] else { throw CheckpointError.badJSON(file: "manifest.json", detail: "missing \"\(key)\"") }
            let decoder = JSONDecoder()
            decoder.keyDecodingStrategy = .convertFromSnakeCase
            return try decoder.decode(T.self, from: JSONEncoder().encode(value))
        }
        var config: [String: JSONValue] = [:]
        if case let .object(o)? = state.manifest["config"] { config = o }
        config["method"] = nil
        if config["unique_init"] == nil { config["unique_init"] = "zero" }   // runs from before the option
        let options = try JSONDecoder.snakeCase.decode(Options.self, from: JSONEncoder().encode(JSONValue.object(config)))
        let seta = SETA(options: options)
        var rng = SeededRNG(seed: 0)
        seta.attach(to: model, taskCount: 0, rng: &rng)
        func tensor(_ name: String) throws -> Tensor {
            guard let t = state.tensors[name] else { throw CheckpointError.missingTensor(file: "adapters.safetensors", name: name) }
            return t
        }
        func load(_ name: String, into target: Tensor) throws {
            let t = try tensor(name)
            guard t.shape == target.shape else {
                throw CheckpointError.shapeMismatch(file: "adapters.safetensors", name: name, expected: target.shape, found: t.shape)
            }
            target.data.update(from: t.data, count: t.count)
        }
        let splits = try decode("unique_splits", as: [[[Int]]].self)
        guard splits.count == seta.pools.count else {
            throw CheckpointError.invalid(file: "manifest.json", detail: "\(splits.count) pools stored, the model has \(seta.pools.count) target projections")
        }
        for (p, pool) in seta.pools.enumerated() {
            let n = pool.name
            for b in 0..<pool.shape.blocks {
                try load("\(n).shared.\(b).A", into: pool.sharedA[b]); try load("\(n).shared.\(b).B", into: pool.sharedB[b])
                try load("\(n).omega.\(b).A", into: seta.omega[p][b].a); try load("\(n).omega.\(b).B", into: seta.omega[p][b].b)
                try load("\(n).anchor.\(b).A", into: seta.anchors[p][b].a); try load("\(n).anchor.\(b).B", into: seta.anchors[p][b].b)
            }
            for (t, blocks) in splits[p].enumerated() {
                pool.restoreUniqueExpert(a: try tensor("\(n).unique.\(t).A").copy(), b: try tensor("\(n).unique.\(t).B").copy(),
                                         splits: try blocks.map { b in (b, try tensor("\(n).unique.\(t).split.\(b).A").copy(),
                                                                        try tensor("\(n).unique.\(t).split.\(b).B").copy()) })
            }
        }
        seta.states = try decode("states", as: [[[BlockState]]].self)
        seta.sensitivities = try decode("sensitivities", as: [[[Double]]].self)
        seta.trainedInPlaceBy = try decode("trained_in_place_by", as: [[[Int]]].self).map { $0.map(Set.init) }
        seta.updateShares = try decode("update_shares", as: [Double].self)
        seta.initialisedFrom = state.manifest["initialised_from"] == nil ? [] // runs from before the option
            : try decode("initialised_from", as: [Int].self).map { $0 < 0 ? nil : $0 }
        seta.runningProduct = zip(try decode("running_product_sum", as: [Double].self),
                                  try decode("running_product_count", as: [Int].self)).map { RunningProduct(sum: $0, count: $1) }
        guard let means = state.float64["gate.means"], let scatter = state.float64["gate.scatter"] else {
            throw CheckpointError.missingTensor(file: "adapters.safetensors", name: "gate.means / gate.scatter")
        }
        let d = seta.gate.dimension, tasks = means.shape.first ?? 0
        seta.gate.restore(means: (0..<tasks).map { Array(means.values[($0 * d)..<(($0 + 1) * d)]) },
                          counts: try decode("gate_counts", as: [Int].self), scatter: scatter.values)
        return seta
    }
}

extension JSONDecoder {
    static var snakeCase: JSONDecoder {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        return d
    }
}
