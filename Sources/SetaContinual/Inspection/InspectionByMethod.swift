// Each method's own part of `seta inspect` (a requirement of ContinualStrategy, so no caller switches over the
// concrete strategies): SETA shows its pools' block states, unique ranks, Ω and gate; independent experts (and the
// per-task oracle) their per-task LoRAs and gate; SeqLoRA (in its own file) its one LoRA. Any other method gets the
// default: its stored parameter count and a note.
import SetaExperts
import SetaModels

/// What a method needs to describe itself to `seta inspect`.
public struct InspectionInput {
    public var model: LanguageModel
    /// The run's stream, in training order.
    public var tasks: [String]
    public var tasksCompleted: Int
    /// The tasks' test prompts, for the routing matrix of a gated method (nil: not computed).
    public var testPrompts: InspectionPrompts?
    public var recordedRoutingAccuracy: Double?
}

/// A method's part of the inspection.
public struct MethodInspection {
    public var pools: [PoolInspection] = []
    public var blockStateTotals: [BlockStateCounts] = []
    public var parameters: StoredParameters
    public var omega: OmegaStatistics?
    public var gate: GateSummary?
    public var routing: RoutingMatrix?
    public var notes: [String] = []
}

extension ContinualStrategy {
    /// The default: no per-matrix summary, the stored parameters as one total.
    public func inspection(_ input: InspectionInput) -> MethodInspection {
        let independent = independentEquivalent(tasksSeen: input.tasksCompleted)
        return MethodInspection(parameters: StoredParameters(shared: 0, unique: 0, gate: 0, total: storedParameterCount,
                                                             independentEquivalent: independent, trainingState: 0),
                                notes: ["\(name): no per-matrix summary for this method"])
    }
}

extension PrototypeGate {
    /// The gate as `inspect` reports it.
    var summary: GateSummary {
        GateSummary(kind: "prototype (LDA on mean-pooled frozen input embeddings of the prompt)", dimension: dimension,
                    experts: taskCount, examplesPerTask: counts, shrinkage: options.shrinkage, topK: options.topK,
                    storedParameters: storedParameterCount)
    }

    /// The routing matrix of `strategy` (whose gate this is) on the test prompts, when given.
    func routing(of strategy: ContinualStrategy, _ input: InspectionInput) -> RoutingMatrix? {
        input.testPrompts.map {
            RunInspection.routingMatrix(strategy: strategy, model: input.model, tasks: input.tasks,
                                        experts: Array(input.tasks.prefix(taskCount)), prompts: $0,
                                        recorded: input.recordedRoutingAccuracy)
        }
    }
}

extension SETA {
    public func inspection(_ input: InspectionInput) -> MethodInspection {
        let shared = pools.reduce(0) { $0 + $1.sharedParameters.reduce(0) { $0 + $1.count } }
        let unique = pools.reduce(0) { $0 + $1.unique.reduce(0) { $0 + $1.parameters.reduce(0) { $0 + $1.count } } }
        return MethodInspection(
            pools: pools.indices.map(poolInspection),
            blockStateTotals: states.map { task in
                var counts = BlockStateCounts()
                task.joined().forEach { counts.count($0) }
                return counts
            },
            parameters: StoredParameters(shared: shared, unique: unique, gate: gate.storedParameterCount,
                                         total: storedParameterCount,
                                         independentEquivalent: independentEquivalent(tasksSeen: input.tasksCompleted),
                                         trainingState: 2 * shared),
            omega: OmegaStatistics(values: blocks.joined().flatMap { $0.omega.a.values + $0.omega.b.values },
                                   blockMeans: []),
            gate: gate.summary, routing: gate.routing(of: self, input))
    }

    /// Pool p: its blocks' states per task, unique ranks, stored parameters and Ω.
    func poolInspection(_ p: Int) -> PoolInspection {
        let pool = pools[p]
        let (layer, projection) = RunInspection.parse(pool.name)
        let omega = blocks[p].map(\.omega)
        let blockMeans = omega.map { block in
            let values = block.a.values + block.b.values
            return values.reduce(0.0) { $0 + Double($1) } / Double(max(values.count, 1))
        }
        return PoolInspection(
            name: pool.name, layer: layer, projection: projection, inFeatures: pool.inFeatures,
            outFeatures: pool.outFeatures,
            sharedRank: pool.shape.sharedRank, blockCount: pool.shape.blocks, blockStates: states.map { $0[p] },
            uniqueRanks: pool.unique.map(\.rank), splitBlocks: pool.unique.map { $0.splits.map(\.block) },
            storedParameters: pool.storedParameterCount,
            omega: OmegaStatistics(values: omega.flatMap { $0.a.values + $0.b.values }, blockMeans: blockMeans))
    }
}

extension IndependentExperts {
    public func inspection(_ input: InspectionInput) -> MethodInspection {
        let gateCount = gate.storedParameterCount
        return MethodInspection(
            pools: projections.map { name, linear, experts in
                let (layer, projection) = RunInspection.parse(name)
                let loras = experts.experts
                return PoolInspection(name: name, layer: layer, projection: projection, inFeatures: linear.inFeatures,
                                      outFeatures: linear.outFeatures, sharedRank: loras.reduce(0) { $0 + $1.rank },
                                      blockCount: 0, blockStates: [], uniqueRanks: loras.map(\.rank), splitBlocks: [],
                                      storedParameters: loras.reduce(0) { $0 + $1.parameterCount }, omega: nil)
            },
            parameters: StoredParameters(shared: 0, unique: storedParameterCount - gateCount, gate: gateCount,
                                         total: storedParameterCount,
                                         independentEquivalent: independentEquivalent(tasksSeen: taskCount),
                                         trainingState: 0),
            gate: gate.summary, routing: gate.routing(of: self, input),
            notes: ["\(name): one LoRA per task (rank: the sum over tasks), nothing shared; no block states or Ω"
                    + (evaluatesWithTaskIdentity
                       ? "; evaluation used the true task id, the routing matrix shows the gate kept for predict"
                       : "")])
    }
}
