// EWC-LoRA — Elastic Weight Consolidation (Kirkpatrick et al. 2017, "Overcoming catastrophic forgetting in neural
// networks", PNAS) in its online form (Schwarz et al. 2018, "Progress & Compress"), on one LoRA trained on every
// task in turn (AdaptedLoRA, as SeqLoRA). Each parameter is pulled back towards where the earlier tasks left it, in
// proportion to how much their likelihood depended on it:
//
//   L = L_LM(completion tokens) + (λ/2) · Σ_θ Ω_θ (θ − θ*)²        θ: every entry of every LoRA A and B
//
// Task t, in the order the hooks run:
//   1. beginTask — nothing: the same LoRA keeps training (no penalty on the first task, while Ω = 0);
//   2. loss      — the LM loss plus the quadratic penalty towards the anchors θ*;
//   3. endTask   — F = diagonal empirical Fisher on task t: mean over n examples of (∂ log p(y|x)/∂θ)²,
//                  log p(y|x) summed over the completion tokens, one backward pass per example (as SETA's
//                  consolidation);
//                  Ω ← γ·Ω + F (γ = 1: the plain sum of the tasks' Fishers); θ* ← θ.
import SetaExperts
import SetaMetrics
import SetaModels
import SetaTensor

public final class EWCLoRA: OneLoRAStrategy {
    public struct Options: Codable, Equatable, Sendable {
        /// The one LoRA: rank 8, α 16, on q_proj and v_proj (SeqLoRA's defaults, so the two compare directly).
        public var lora = LoRAShape()
        /// λ, the penalty's strength. Ω is the raw Fisher (not normalised as in SETA), so the useful λ depends on
        /// its scale: 5000 is a starting point for LoRAs of a small LM (tune on the validation split).
        public var lambda: Float = 5000
        /// γ, the online decay in Ω ← γ·Ω + F. 1 keeps every earlier task's Fisher at full weight; < 1 forgets
        /// older tasks' importance geometrically.
        public var gamma: Float = 1
        /// Training examples of each task (a seeded subset) whose per-example gradients make its Fisher.
        public var fisherExamples = 64
        public init() {}
    }

    public let options: Options
    public var name: String { "ewc" }
    /// The LoRA that trains on every task.
    public let lora: AdaptedLoRA
    /// Ω_θ and θ*, one tensor per LoRA tensor, in `lora.parameters` order (A then B of each projection).
    public internal(set) var omega: [Tensor] = []
    public internal(set) var anchors: [Tensor] = []
    /// Tasks consolidated so far; the penalty applies once one is.
    public internal(set) var consolidatedTasks = 0

    public init(options: Options = Options()) {
        self.options = options
        lora = AdaptedLoRA(shape: options.lora)
    }

    // MARK: Hooks

    public func attach(to model: LanguageModel, taskCount: Int, rng: inout SeededRNG) {
        lora.attach(to: model, rng: &rng)
        omega = lora.parameters.map { Tensor(zeros: $0.shape) }
        anchors = lora.parameters.map { $0.copy() }
    }

    public func loss(_ batch: [PreparedExample], task t: Int, context: TrainingContext) -> Tensor {
        let lm = context.languageModelLoss(batch)
        guard consolidatedTasks > 0, options.lambda > 0 else { return lm }
        return add(lm, scale(penalty(), options.lambda / 2))
    }

    public func endTask(_ t: Int, context: TrainingContext) {
        var rng = context.rng.fork()
        let examples = context.batches(of: context.tasks[t], size: 1, rng: &rng).prefix(options.fisherExamples)
            .map { $0[0] }
        let fisher = Self.empiricalFisher(of: lora.parameters, examples: examples, context: context)
        for (o, f) in zip(omega, fisher) {
            for i in 0..<o.count { o.data[i] = options.gamma * o.data[i] + f.data[i] }
        }
        anchors = lora.parameters.map { $0.copy() }
        consolidatedTasks += 1
    }

    // MARK: The method's terms

    /// Σ_θ Ω_θ (θ − θ*)², a scalar (without λ/2).
    func penalty() -> Tensor {
        let terms = zip(lora.parameters, zip(omega, anchors)).map { theta, pair in
            let d = add(theta, scale(pair.1, -1))                   // θ − θ*, same shape as θ
            return sum(mul(mul(d, d), pair.0))
        }
        return terms.dropFirst().reduce(terms[0]) { add($0, $1) }
    }

    /// Diagonal empirical Fisher of `parameters`: mean over `examples` of (∂ log p(y|x)/∂θ)², one backward each.
    static func empiricalFisher(of parameters: [Tensor], examples: [PreparedExample],
                                context: TrainingContext) -> [Tensor] {
        let fisher = parameters.map { Tensor(zeros: $0.shape) }
        let n = Float(max(examples.count, 1))
        for example in context.shard(examples) {                 // with several ranks: this rank's examples
            parameters.forEach { $0.zeroGrad() }
            context.negativeLogLikelihood(example).backward()
            for (theta, f) in zip(parameters, fisher) {
                guard let g = theta.grad else { continue }
                for i in 0..<f.count { f.data[i] += g.data[i] * g.data[i] / n }
            }
        }
        context.sumOverRanks(fisher)                                 // the ranks' shares of the mean
        parameters.forEach { $0.zeroGrad() }
        return fisher
    }

    // MARK: What it stores

    // Stored adapter parameters: the one LoRA (OneLoRAStrategy; Ω and θ* are training state, not counted).
    public var configuration: [String: JSONValue] { recordedConfiguration(method: name, options: options) }

    /// Checkpoint names of the tensors in `lora.parameters` order, e.g. "model.layers.0.self_attn.q_proj.lora_A".
    private var tensorNames: [String] { lora.adapters.flatMap { ["\($0.name).lora_A", "\($0.name).lora_B"] } }

    public func checkpoint() -> StrategyState {
        var state = StrategyState()
        state.tensors = lora.tensors                                // "<projection>.lora_A.weight", "….lora_B.weight"
        for (k, name) in tensorNames.enumerated() {
            state.tensors["\(name).omega"] = omega[k]
            state.tensors["\(name).anchor"] = anchors[k]
        }
        state.manifest = ["method": .string(name), "config": .object(configuration),
                          "consolidated_tasks": .number(Double(consolidatedTasks))]
        return state
    }

    /// Rebuilds EWC-LoRA from a checkpoint on `model`: the LoRA, Ω and θ*.
    public static func restore(_ state: StrategyState, model: LanguageModel) throws -> EWCLoRA {
        let ewc = EWCLoRA(options: try state.options(Options.self))
        var rng = SeededRNG(seed: 0)
        ewc.attach(to: model, taskCount: 0, rng: &rng)
        try ewc.lora.load(state)
        for (k, name) in ewc.tensorNames.enumerated() {
            try state.load("\(name).omega", into: ewc.omega[k])
            try state.load("\(name).anchor", into: ewc.anchors[k])
        }
        ewc.consolidatedTasks = try state.manifestValue("consolidated_tasks", as: Int.self)
        return ewc
    }
}

extension EWCLoRA {
    public static let method = ContinualMethod(
        name: "ewc", summary: "one LoRA with a Fisher penalty on moving what earlier tasks needed (online EWC)",
        defaults: Options(), make: { EWCLoRA(options: $0) }, restore: { try EWCLoRA.restore($0, model: $1) })
}

extension EWCLoRA.Options: DeclaredOptions {
    public static let fields: [OptionField<Self>] = LoRAShape.fields.map { $0.lifted(\.lora) } + [
        .number("ewc-lambda", \.lambda, atLeast: 0,
                help: "EWC: penalty strength λ in (λ/2)·Σ Ω (θ − θ*)² (Ω not normalised)."),
        .number("ewc-gamma", \.gamma, atLeast: 0, atMost: 1, help: "EWC: online decay γ in Ω ← γ·Ω + F."),
        .integer("ewc-fisher-examples", \.fisherExamples, 1...1_000_000,
                 help: "EWC: examples per task for the Fisher diagonal."),
    ]
}
