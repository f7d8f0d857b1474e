// IncLoRA — incremental LoRA (the baseline O-LoRA is built on: Wang et al. 2023, "Orthogonal Subspace Learning
// for Language Model Continual Learning", EMNLP Findings). Every task gets a new LoRA on each adapted projection
// (rank r, B = 0, so the model is unchanged when it arrives); the LoRAs of earlier tasks are frozen and stay in the
// sum. No gate: at inference every LoRA applies to every input.
//
//   y = W x + Σ_{i ≤ t} (α/r) B_i A_i x            L = L_LM(completion tokens)
//
// Task t, in the order the hooks run:
//   1. beginTask — add LoRA_t to every projection's sum; it is the only thing that trains;
//   2. loss      — the LM loss;
//   3. endTask   — freeze LoRA_t.
import SetaExperts
import SetaMetrics
import SetaModels
import SetaTensor

public final class IncLoRA: ContinualStrategy {
    public struct Options: Codable, Equatable, Sendable {
        /// Each task's LoRA: rank 8, α 16, on q_proj and v_proj (SeqLoRA's defaults: every task gets that budget).
        public var lora = LoRAShape()
        public init() {}
    }

    public let options: Options
    public var name: String { "inc-lora" }
    /// The adapted projections, by Hugging Face module name, and the sum each one carries.
    public private(set) var projections: [(name: String, linear: Linear, sum: AdapterSum)] = []
    /// LoRA of task t on projection p: `loras[t][p]`.
    public private(set) var loras: [[LoRA]] = []

    public init(options: Options = Options()) { self.options = options }

    // MARK: Hooks

    public func attach(to model: LanguageModel, taskCount: Int, rng: inout SeededRNG) {
        projections = model.network.projections(options.lora.targets).map { name, linear in
            linear.adapter = nil                                     // the sum goes on with the first LoRA
            return (name, linear, AdapterSum([]))
        }
        loras = []
    }

    public func beginTask(_ t: Int, context: TrainingContext) {
        precondition(loras.count == t, "inc-lora: task \(t) begins after \(loras.count) tasks")
        var rng = context.rng.fork()
        addTaskLoRAs(rng: &rng)
    }

    /// Task t trains its own LoRA only (earlier ones are frozen).
    public var trainableParameters: [Tensor] { (loras.last ?? []).flatMap(\.parameters).filter(\.requiresGrad) }

    public func loss(_ batch: [PreparedExample], task t: Int, context: TrainingContext) -> Tensor {
        context.languageModelLoss(batch)
    }

    public func endTask(_ t: Int, context: TrainingContext) {
        loras[t].flatMap(\.parameters).forEach { $0.requiresGrad = false }
    }

    public func route(prompts: [[Int]], model: LanguageModel) -> [Int]? { nil }

    /// A new LoRA (B = 0) in every projection's sum.
    @discardableResult
    func addTaskLoRAs(rng: inout SeededRNG) -> [LoRA] {
        let added = projections.map { _, linear, sum in
            let lora = LoRA(inFeatures: linear.inFeatures, outFeatures: linear.outFeatures, rank: options.lora.rank,
                            alpha: options.lora.alpha, rng: &rng)
            sum.members.append(lora)
            linear.adapter = sum
            return lora
        }
        loras.append(added)
        return added
    }

    // MARK: What it stores

    /// Every task's LoRA.
    public var storedParameterCount: Int { loras.joined().reduce(0) { $0 + $1.parameterCount } }
    /// One LoRA of this shape per task: IncLoRA stores exactly that.
    public func independentEquivalent(tasksSeen: Int) -> Int? {
        tasksSeen * projections.reduce(0) { $0 + options.lora.rank * ($1.linear.inFeatures + $1.linear.outFeatures) }
    }
    public var sharedUtilisation: SharedUtilisation? { nil }
    public var configuration: [String: JSONValue] { recordedConfiguration(method: name, options: options) }

    public func checkpoint() -> StrategyState {
        var state = StrategyState()
        for (t, taskLoRAs) in loras.enumerated() {
            for (p, lora) in taskLoRAs.enumerated() {
                state.tensors["\(projections[p].name).task\(t).lora_A.weight"] = lora.a
                state.tensors["\(projections[p].name).task\(t).lora_B.weight"] = lora.b
            }
        }
        state.manifest = ["method": .string(name), "config": .object(configuration),
                          "tasks": .number(Double(loras.count))]
        return state
    }

    /// Rebuilds IncLoRA from a checkpoint on `model`: every task's LoRA, frozen.
    public static func restore(_ state: StrategyState, model: LanguageModel) throws -> IncLoRA {
        let inc = IncLoRA(options: try state.options(Options.self))
        var rng = SeededRNG(seed: 0)
        inc.attach(to: model, taskCount: 0, rng: &rng)
        try inc.loadTaskLoRAs(state, tasks: try state.manifestValue("tasks", as: Int.self))
        return inc
    }

    /// Adds `tasks` LoRAs per projection and fills them from `state`, frozen.
    func loadTaskLoRAs(_ state: StrategyState, tasks: Int) throws {
        var rng = SeededRNG(seed: 0)
        for t in 0..<tasks {
            for (p, lora) in addTaskLoRAs(rng: &rng).enumerated() {
                try state.load("\(projections[p].name).task\(t).lora_A.weight", into: lora.a)
                try state.load("\(projections[p].name).task\(t).lora_B.weight", into: lora.b)
                lora.parameters.forEach { $0.requiresGrad = false }
            }
        }
    }
}

extension IncLoRA {
    public static let method = ContinualMethod(
        name: "inc-lora", summary: "a new LoRA per task, earlier ones frozen, all summed at inference",
        defaults: Options(), make: { IncLoRA(options: $0) }, restore: { try IncLoRA.restore($0, model: $1) })
}

extension IncLoRA.Options: DeclaredOptions {
    public static let fields: [OptionField<Self>] = LoRAShape.fields.map { $0.lifted(\.lora) }
}
