// The effective LoRA of a task: one plain LoRA per adapted projection (A [R, in], B [out, R], one scale α/R for the
// whole adapter) whose W x + (α/R) · B A x is exactly what the strategy computes for task t's inputs — for SETA
// under the oracle route to task t. `seta export` writes it in PEFT's format (PEFTAdapter), so the adapted model
// runs in PyTorch + PEFT or anything that reads PEFT adapters. Every form below is a sum of low-rank terms with one
// common scale, so it is one LoRA with the terms stacked along the rank axis (PEFTAdapter(scale:stacking:)):
//
//   seq-lora, ewc, replay, mtl  the one LoRA, the same for every task:   s · B A
//   independent, per-task  task t's own LoRA:                            s · B_t A_t
//   inc-lora, olora        every task's LoRA in the checkpoint, summed:  s · Σ_i B_i A_i       R = n · r
//   seta                   per pool, the shared blocks with task t's split blocks replaced by its private copies,
//                          plus U_t (ExpertPool.swift, oracle route g_t = 1):
//                            s · [ Σ_{b ∉ S_t} B_b A_b + Σ_{b ∈ S_t} B'_{t,b} A'_{t,b} + B_{U_t} A_{U_t} ]
//                                                                                              R = r_s + r_u
import SetaExperts
import SetaModels
import SetaTensor

public protocol ExportsTaskLoRA {
    /// Task t's effective LoRA (t counts from 0 in the run's task order); throws when the strategy holds nothing
    /// for task t yet.
    func effectiveLoRA(task t: Int) throws -> PEFTAdapter
}

extension EWCLoRA: ExportsTaskLoRA {
    public func effectiveLoRA(task t: Int) throws -> PEFTAdapter { try lora.effectiveLoRA(method: name) }
}

extension ReplayLoRA: ExportsTaskLoRA {
    public func effectiveLoRA(task t: Int) throws -> PEFTAdapter { try lora.effectiveLoRA(method: name) }
}

extension IncLoRA: ExportsTaskLoRA {
    /// No gate: every task's input goes through the sum of all LoRAs stored (tasks 0 … n−1 of the checkpoint).
    public func effectiveLoRA(task t: Int) throws -> PEFTAdapter {
        guard !loras.isEmpty else { throw AdapterError.invalidConfig("inc-lora holds no task LoRA yet") }
        return PEFTAdapter(scale: options.lora.alpha / Float(options.lora.rank),
                           stacking: projections.indices.map { p in
                               // n × [r, in], n × [out, r]
                               (projections[p].name, loras.map { $0[p].a }, loras.map { $0[p].b })
                           })
    }
}

extension OLoRA: ExportsTaskLoRA {
    public func effectiveLoRA(task t: Int) throws -> PEFTAdapter { try incremental.effectiveLoRA(task: t) }
}

extension SETA: ExportsTaskLoRA {
    /// Pool by pool: K shared blocks (task t's split ones replaced by its copies) then U_t, all at the pool's scale.
    public func effectiveLoRA(task t: Int) throws -> PEFTAdapter {
        guard let first = pools.first, t >= 0, t < first.unique.count else {
            throw AdapterError.invalidConfig("seta has no expert for task \(t + 1): "
                                             + "\(pools.first?.unique.count ?? 0) tasks trained")
        }
        let scale = first.shape.scale
        precondition(pools.allSatisfy { $0.shape.scale == scale }, "seta: pools with different scales")
        return PEFTAdapter(scale: scale, stacking: pools.map { pool in
            let expert = pool.unique[t]
            var a: [Tensor] = [], b: [Tensor] = []
            for block in 0..<pool.shape.blocks {
                let copy = expert.splits.first { $0.block == block }
                a.append(copy?.a ?? pool.sharedA[block])                          // [k, in]
                b.append(copy?.b ?? pool.sharedB[block])                          // [out, k]
            }
            return (pool.name, a + [expert.a], b + [expert.b])                    // (r_s + r_u) rows / columns
        })
    }
}

extension IndependentExperts: ExportsTaskLoRA {
    /// Task t's own LoRA (per-task LoRA too: the expert its oracle route picks).
    public func effectiveLoRA(task t: Int) throws -> PEFTAdapter {
        guard t >= 0, t < taskCount else {
            throw AdapterError.invalidConfig("\(name) has no expert for task \(t + 1): \(taskCount) tasks trained")
        }
        return PEFTAdapter(scale: options.lora.alpha / Float(options.lora.rank),
                           stacking: projections.map {
                               ($0.name, [$0.experts.experts[t].a], [$0.experts.experts[t].b])
                           })
    }
}

extension MultiTaskLoRA: ExportsTaskLoRA {
    /// The one LoRA, trained on every task.
    public func effectiveLoRA(task t: Int) throws -> PEFTAdapter { try lora.effectiveLoRA(method: name) }
}
