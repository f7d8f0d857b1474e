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
                state.tensors["\(n).omega.\(b).A"] = blocks[p][b].omega.a
                state.tensors["\(n).omega.\(b).B"] = blocks[p][b].omega.b
                state.tensors["\(n).anchor.\(b).A"] = blocks[p][b].anchor.a
                state.tensors["\(n).anchor.\(b).B"] = blocks[p][b].anchor.b
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
        func json<T: Encodable>(_ v: T) -> JSONValue { (try? JSONValue(encoding: v)) ?? .null }
        state.manifest = [
            "method": "seta", "config": .object(configuration), "tasks_completed": .number(Double(gate.taskCount)),
            "states": json(states), "sensitivities": json(sensitivities),
            "trained_in_place_by": json(blocks.map { $0.map { $0.trainedInPlaceBy.sorted() } }),
            "update_shares": json(updateShares), "running_product_sum": json(runningProduct.map(\.sum)),
            "running_product_count": json(runningProduct.map(\.count)),
            "running_product": "normalised",            // of q_b = (s_b / mean s)(Ω_b / mean Ω), not of raw s·Ω
            "unique_splits": json(pools.map { $0.unique.map { $0.splits.map(\.block) } }),
            "initialised_from": json(initialisedFrom.map { $0 ?? -1 }),   // −1: U_t started at B = 0
        ]
        state.store(gate: gate)
        return state
    }

    /// Rebuilds SETA from a checkpoint on `model` (whose projections get the pools).
    public static func restore(_ state: StrategyState, model: LanguageModel) throws -> SETA {
        let seta = SETA(options: try state.options(Options.self))
        var rng = SeededRNG(seed: 0)
        seta.attach(to: model, taskCount: 0, rng: &rng)
        let splits = try state.manifestValue("unique_splits", as: [[[Int]]].self)
        guard splits.count == seta.pools.count else {
            throw CheckpointError.invalid(file: "manifest.json", detail: "\(splits.count) pools stored, the model has "
                                          + "\(seta.pools.count) target projections")
        }
        for (p, pool) in seta.pools.enumerated() {
            let n = pool.name
            for b in 0..<pool.shape.blocks {
                try state.load("\(n).shared.\(b).A", into: pool.sharedA[b])
                try state.load("\(n).shared.\(b).B", into: pool.sharedB[b])
                let block = seta.blocks[p][b]
                try state.load("\(n).omega.\(b).A", into: block.omega.a)
                try state.load("\(n).omega.\(b).B", into: block.omega.b)
                try state.load("\(n).anchor.\(b).A", into: block.anchor.a)
                try state.load("\(n).anchor.\(b).B", into: block.anchor.b)
            }
            for (t, blocks) in splits[p].enumerated() {
                let copies = try blocks.map { b in
                    (b, try state.tensor("\(n).unique.\(t).split.\(b).A").copy(),
                     try state.tensor("\(n).unique.\(t).split.\(b).B").copy())
                }
                pool.restoreUniqueExpert(a: try state.tensor("\(n).unique.\(t).A").copy(),
                                         b: try state.tensor("\(n).unique.\(t).B").copy(), splits: copies)
            }
        }
        seta.states = try state.manifestValue("states", as: [[[BlockState]]].self)
        seta.sensitivities = try state.manifestValue("sensitivities", as: [[[Double]]].self)
        let trainers = try state.manifestValue("trained_in_place_by", as: [[[Int]]].self)
        guard trainers.map(\.count) == seta.blocks.map(\.count) else {
            throw CheckpointError.invalid(file: "manifest.json",
                                          detail: "\"trained_in_place_by\" does not have one entry "
                                          + "per shared block of each pool")
        }
        for (p, pool) in trainers.enumerated() {
            for (b, tasks) in pool.enumerated() { seta.blocks[p][b].trainedInPlaceBy = Set(tasks) }
        }
        seta.updateShares = try state.manifestValue("update_shares", as: [Double].self)
        seta.initialisedFrom = try state.manifestValue("initialised_from", as: [Int].self).map { $0 < 0 ? nil : $0 }
        // A dynamic-rule run from before the rule's normalisation holds raw s·Ω sums: continuing it would mix scales.
        if seta.options.split.rule == .dynamic, state.manifest["running_product"] != "normalised" {
            throw CheckpointError.invalid(file: "manifest.json",
                                          detail: "a dynamic-rule SETA checkpoint written before the rule compared "
                                              + "normalised products (no \"running_product\": \"normalised\"); "
                                              + "train the run again with this release")
        }
        seta.runningProduct = zip(try state.manifestValue("running_product_sum", as: [Double].self),
                                  try state.manifestValue("running_product_count", as: [Int].self))
            .map { RunningProduct(sum: $0, count: $1) }
        try state.restore(gate: seta.gate)
        return seta
    }
}
