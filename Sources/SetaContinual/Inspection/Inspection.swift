// What a trained run holds, as one Codable value (`seta inspect`). Per adapted matrix (an expert pool): the
// shared expert's rank, its sub-blocks and each block's state per task, the unique experts' ranks, the
// parameters stored, and statistics of Ω (the accumulated Fisher importance SETA anchors with); then the gate
// and its routing matrix on the tasks' test prompts. Built from the strategy restored from the run's last
// checkpoint (InspectionRun.swift reads the folder and the test data). Nothing here prints.
import Foundation
import SetaExperts
import SetaMetrics
import SetaModels

public struct RunInspection: Codable, Equatable, Sendable {
    public var method: String
    public var model: String
    @NullWhenAbsent public var benchmark: String? = nil
    public var seed: UInt64
    /// The stream's tasks in training order; the first `tasksCompleted` were trained (and have an expert).
    public var tasks: [String]
    public var tasksCompleted: Int
    /// The strategy's configuration (as in results.json).
    public var config: [String: JSONValue]
    /// One entry per adapted matrix, layer by layer.
    public var pools: [PoolInspection]
    /// Per trained task, how many shared blocks (over all pools) were in each state (empty without shared blocks).
    public var blockStateTotals: [BlockStateCounts]
    public var parameters: StoredParameters
    /// Ω over every pool (nil for a method without Ω).
    @NullWhenAbsent public var omega: OmegaStatistics? = nil
    @NullWhenAbsent public var gate: GateSummary? = nil
    @NullWhenAbsent public var routing: RoutingMatrix? = nil
    @NullWhenAbsent public var sharedUtilisation: SharedUtilisation? = nil
    /// What is not shown, or shown with a caveat, and why (e.g. the task data is not available here).
    public var notes: [String]

    enum CodingKeys: String, CodingKey {
        case method, model, benchmark, seed, tasks, config, pools, parameters, omega, gate, routing, notes
        case tasksCompleted = "tasks_completed", blockStateTotals = "block_state_totals"
        case sharedUtilisation = "shared_utilisation"
    }
}

/// One adapted matrix W (out × in): SETA's expert pool, or SeqLoRA's LoRA.
public struct PoolInspection: Codable, Equatable, Sendable {
    /// The module, e.g. `model.layers.3.self_attn.q_proj`.
    public var name: String
    @NullWhenAbsent public var layer: Int? = nil
    /// `q_proj`, `v_proj`, …
    public var projection: String
    public var inFeatures: Int
    public var outFeatures: Int
    /// SETA: the shared expert's rank r_s; SeqLoRA: the LoRA's rank.
    public var sharedRank: Int
    /// Sub-blocks K of the shared expert (0 for a plain LoRA).
    public var blockCount: Int
    /// `blockStates[t][b]`: block b's state while task t trained.
    public var blockStates: [[BlockState]]
    /// Rank of task t's unique expert: r_u plus k per shared block it split.
    public var uniqueRanks: [Int]
    /// The shared blocks task t split (took a private copy of).
    public var splitBlocks: [[Int]]
    public var storedParameters: Int
    @NullWhenAbsent public var omega: OmegaStatistics? = nil

    enum CodingKeys: String, CodingKey {
        case name, layer, projection, omega
        case inFeatures = "in_features", outFeatures = "out_features", sharedRank = "shared_rank"
        case blockCount = "block_count", blockStates = "block_states", uniqueRanks = "unique_ranks"
        case splitBlocks = "split_blocks", storedParameters = "stored_parameters"
    }
}

public struct BlockStateCounts: Codable, Equatable, Sendable {
    public var free = 0, shared = 0, split = 0, frozen = 0
    public var total: Int { free + shared + split + frozen }
    mutating func count(_ state: BlockState) {
        switch state {
        case .free: free += 1
        case .shared: shared += 1
        case .split: split += 1
        case .frozen: frozen += 1
        }
    }
}

/// Statistics of Ω_θ (one value per shared parameter, accumulated over the trained tasks: Ω ← γ Ω + F).
public struct OmegaStatistics: Codable, Equatable, Sendable {
    public var parameters: Int
    public var mean: Double
    public var max: Double
    /// Share of parameters with Ω_θ = 0 (never moved any trained task's loss).
    public var zeroFraction: Double
    /// Ω_b per shared block (the mean over its parameters), what Split-on-Share compares with τ_Ω; empty in totals.
    public var blockMeans: [Double]

    enum CodingKeys: String, CodingKey {
        case parameters, mean, max
        case zeroFraction = "zero_fraction", blockMeans = "block_means"
    }

    init(values: [Float], blockMeans: [Double]) {
        parameters = values.count
        let total = values.reduce(0.0) { $0 + Double($1) }
        mean = values.isEmpty ? 0 : total / Double(values.count)
        max = Double(values.max() ?? 0)
        zeroFraction = values.isEmpty ? 0 : Double(values.filter { $0 == 0 }.count) / Double(values.count)
        self.blockMeans = blockMeans
    }
}

/// Adapter parameters stored (what results.json's `params` counts) and the training state kept beside them.
public struct StoredParameters: Codable, Equatable, Sendable {
    /// Shared experts (SETA) or the one LoRA every task trains (SeqLoRA).
    public var shared: Int
    /// Unique experts, with the private copies of the blocks their tasks split.
    public var unique: Int
    /// The gate's statistics: per-task means and the shared scatter's upper triangle.
    public var gate: Int
    /// shared + unique + gate, = the strategy's `storedParameterCount`.
    public var total: Int
    /// Independent rank-r_s experts (one per trained task) with the same gate.
    @NullWhenAbsent public var independentEquivalent: Int? = nil
    /// Ω and θ* (training state: in the checkpoint, not counted as stored adapters).
    public var trainingState: Int

    enum CodingKeys: String, CodingKey {
        case shared, unique, gate, total
        case independentEquivalent = "independent_equivalent", trainingState = "training_state"
    }
}

public struct GateSummary: Codable, Equatable, Sendable {
    /// How experts are chosen: LDA scores (nearest prototype under a shared shrunk covariance) on mean-pooled
    /// frozen input embeddings of the prompt.
    public var kind: String
    public var dimension: Int
    /// Gate outputs, one per trained task.
    public var experts: Int
    /// Training prompts each task's mean μ_t was computed from.
    public var examplesPerTask: [Int]
    public var shrinkage: Double
    public var topK: Int
    public var storedParameters: Int

    enum CodingKeys: String, CodingKey {
        case kind, dimension, experts, shrinkage
        case examplesPerTask = "examples_per_task", topK = "top_k", storedParameters = "stored_parameters"
    }
}

/// Where the gate sends each task's test prompts: `fractions[i][j]` = share of task i's prompts whose top-1
/// expert is task j's (every row with prompts sums to 1).
public struct RoutingMatrix: Codable, Equatable, Sendable {
    /// Rows: the task each prompt belongs to (every task of the stream, trained or not).
    public var tasks: [String]
    /// Columns: the expert chosen (one per trained task).
    public var experts: [String]
    public var prompts: [Int]
    public var fractions: [[Double]]
    /// % of the trained tasks' prompts routed to their own task's expert.
    @NullWhenAbsent public var accuracy: Double? = nil
    /// results.json's routing accuracy (after the last task, on the test prompts the trainer evaluated).
    @NullWhenAbsent public var recordedAccuracy: Double? = nil
    /// Which prompts these are.
    public var source: String

    enum CodingKeys: String, CodingKey {
        case tasks, experts, prompts, fractions, accuracy, source
        case recordedAccuracy = "recorded_accuracy"
    }
}

/// Test prompts (token ids) of every task of a run's stream, in stream order, and a sentence saying which they are.
public struct InspectionPrompts {
    public var prompts: [[[Int]]]
    public var source: String
    public init(prompts: [[[Int]]], source: String) { self.prompts = prompts; self.source = source }
}

extension RunInspection {
    /// The inspection of `strategy` (restored after `tasksCompleted` tasks of the run `description`), with the
    /// routing matrix on `testPrompts` when given and the strategy has a gate.
    public init(strategy: ContinualStrategy, description: RunDescription, tasksCompleted: Int, model: LanguageModel,
                testPrompts: InspectionPrompts?, recordedRoutingAccuracy: Double? = nil, notes: [String] = []) {
        method = strategy.name; self.model = description.model; benchmark = description.benchmark
        seed = description.seed; tasks = description.tasks; self.tasksCompleted = tasksCompleted
        config = strategy.configuration; config["method"] = nil
        sharedUtilisation = strategy.sharedUtilisation
        self.notes = notes
        let own = strategy.inspection(InspectionInput(model: model, tasks: description.tasks,
                                                      tasksCompleted: tasksCompleted,
                                                      testPrompts: testPrompts,
                                                      recordedRoutingAccuracy: recordedRoutingAccuracy))
        pools = own.pools; blockStateTotals = own.blockStateTotals; parameters = own.parameters
        omega = own.omega; gate = own.gate; routing = own.routing
        self.notes += own.notes
    }

    /// "model.layers.3.self_attn.q_proj" → (3, "q_proj").
    static func parse(_ name: String) -> (layer: Int?, projection: String) {
        let parts = name.split(separator: ".").map(String.init)
        let layer = parts.firstIndex(of: "layers").flatMap { $0 + 1 < parts.count ? Int(parts[$0 + 1]) : nil }
        return (layer, parts.last ?? name)
    }

    /// Top-1 choices of the gate on every task's prompts, as fractions per row.
    static func routingMatrix(strategy: ContinualStrategy, model: LanguageModel, tasks: [String], experts: [String],
                              prompts: InspectionPrompts, recorded: Double?) -> RoutingMatrix {
        var fractions: [[Double]] = [], hits = 0, seen = 0
        for (t, taskPrompts) in prompts.prompts.enumerated() {
            var counts = [Int](repeating: 0, count: experts.count)
            for start in stride(from: 0, to: taskPrompts.count, by: 64) {
                let batch = Array(taskPrompts[start..<min(start + 64, taskPrompts.count)])
                for e in strategy.route(prompts: batch, model: model) ?? [] where e < counts.count { counts[e] += 1 }
            }
            if t < experts.count { hits += counts[t]; seen += taskPrompts.count }
            fractions.append(counts.map { taskPrompts.isEmpty ? 0 : Double($0) / Double(taskPrompts.count) })
        }
        return RoutingMatrix(tasks: tasks, experts: experts, prompts: prompts.prompts.map(\.count),
                             fractions: fractions, accuracy: seen > 0 ? 100 * Double(hits) / Double(seen) : nil,
                             recordedAccuracy: recorded, source: prompts.source)
    }

    /// One JSON object, keys sorted (stable for scripts).
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}

/// An optional that JSON-encodes as `null` when absent (synthesised Codable would leave the key out), so every
/// inspection has the same keys.
@propertyWrapper
public struct NullWhenAbsent<Value: Codable & Equatable & Sendable>: Codable, Equatable, Sendable {
    public var wrappedValue: Value?
    public init(wrappedValue: Value?) { self.wrappedValue = wrappedValue }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        wrappedValue = c.decodeNil() ? nil : try c.decode(Value.self)
    }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        if let wrappedValue { try c.encode(wrappedValue) } else { try c.encodeNil() }
    }
}
