// Independent experts + gate (SETA.md, "Baselines"): every task gets its own LoRA of rank r_s on each adapted
// projection (B = 0 when it arrives); earlier experts are frozen; SETA's prototype gate, on the same frozen
// features, picks one expert per input at inference. Nothing is shared, so experts never forget — errors come only
// from routing — and storage grows linearly with the tasks: the line SETA's parameter growth is measured against.
//
//   y = W x + Σ_t g_t(x) · (α/r) B_t A_t x          L = L_LM(completion tokens), oracle route g = e_t in training
//
// Task t, in the order the hooks run:
//   1. beginTask — add LoRA_t to every projection; it is the only thing that trains;
//   2. loss      — the LM loss with task t's examples routed to LoRA_t;
//   3. endTask   — freeze LoRA_t; the gate stores task t's feature mean and its share of the scatter.
import Foundation
import SetaExperts
import SetaMetrics
import SetaModels
import SetaTensor

public class IndependentExperts: GatedStrategy {
    public struct Options: Codable, Equatable, Sendable {
        /// Each task's expert: rank r_s = 16, α = 32 (scale 2, as SETA's experts), on q_proj and v_proj.
        public var lora = LoRAShape(rank: 16, alpha: 32)
        public var gate = GateOptions()
        /// A folder with one PEFT adapter folder per task name (`DIR/<task>/adapter_config.json` +
        /// `adapter_model.safetensors`, e.g. written by `seta export`): task t's expert starts as that adapter (its
        /// rank and α) instead of B = 0; tasks without a folder start as usual.
        public var initAdapters: String?
        public init() {}
    }

    public let options: Options
    public var name: String { "independent" }
    public var evaluatesWithTaskIdentity: Bool { false }
    /// The adapted projections, by Hugging Face module name, with the per-task LoRAs each one carries.
    public private(set) var projections: [(name: String, linear: Linear, experts: RoutedLoRAs)] = []
    public let routing = Routing()
    public private(set) var gate: PrototypeGate!
    /// Adapters the experts start from, by task index (read by `loadInitialState`).
    public private(set) var initialAdapters: [Int: PEFTAdapter] = [:]
    private var embeddings: Tensor!

    public required init(options: Options = Options()) { self.options = options }

    // MARK: Hooks

    public func attach(to model: LanguageModel, taskCount: Int, rng: inout SeededRNG) {
        embeddings = model.network.embeddings
        gate = PrototypeGate(dimension: model.config.hiddenSize, options: options.gate)
        projections = model.network.projections(options.lora.targets).map { name, linear in
            let experts = RoutedLoRAs(outFeatures: linear.outFeatures, routing: routing)
            linear.adapter = experts
            return (name, linear, experts)
        }
    }

    public func beginTask(_ t: Int, context: TrainingContext) {
        precondition(taskCount == t, "\(name): task \(t) begins after \(taskCount) tasks")
        var rng = context.rng.fork()
        addTaskExperts(rng: &rng)
    }

    /// Task t trains its own LoRA only.
    public var trainableParameters: [Tensor] {
        projections.compactMap(\.experts.experts.last).flatMap(\.parameters).filter(\.requiresGrad)
    }

    public func loss(_ batch: [PreparedExample], task t: Int, context: TrainingContext) -> Tensor {
        routing.route(allTo: t, tasks: t + 1, sequences: batch.count)                // oracle route while training
        return context.languageModelLoss(batch)
    }

    public func endTask(_ t: Int, context: TrainingContext) {
        projections.forEach { $0.experts.experts[t].parameters.forEach { $0.requiresGrad = false } }
        gate.addTask(prompts: context.tasks[t].train.map(\.promptIds), embeddings: embeddings)
    }

    /// The gate's top-1 (or soft top-k) choice per prompt, task-agnostic.
    public func route(prompts: [[Int]], model: LanguageModel) -> [Int]? {
        gate.route(prompts: prompts, embeddings: embeddings, into: routing)
    }

    /// Evaluation routes as inference does: the task being evaluated is not looked at.
    public func route(prompts: [[Int]], evaluating task: Int, model: LanguageModel) -> [Int]? {
        route(prompts: prompts, model: model)
    }

    /// Tasks with an expert so far.
    public var taskCount: Int { projections.first?.experts.experts.count ?? 0 }

    /// A new LoRA on every projection: B = 0, or a copy of task t's initial adapter.
    func addTaskExperts(rng: inout SeededRNG) {
        let initial = initialAdapters[taskCount].map { adapter in
            Dictionary(uniqueKeysWithValues: adapter.modules.map { ($0.name, (module: $0, scale: adapter.scale)) })
        }
        for (name, linear, experts) in projections {
            if let (module, scale) = initial?[name] {
                experts.append(LoRA(a: trainable(module.a), b: trainable(module.b), scale: scale))
            } else {
                experts.append(LoRA(inFeatures: linear.inFeatures, outFeatures: linear.outFeatures,
                                    rank: options.lora.rank, alpha: options.lora.alpha, rng: &rng))
            }
        }
    }

    private func trainable(_ t: Tensor) -> Tensor {
        let copy = t.copy()
        copy.requiresGrad = true
        return copy
    }

    /// Reads `options.initAdapters/<task>` for every task that has one, and checks each against `model`: exactly the
    /// strategy's adapted projections, with factors that fit them. An error names the folder and what is wrong.
    public func loadInitialState(taskNames: [String], model: LanguageModel) throws {
        guard let root = options.initAdapters else { return }
        let folder = URL(fileURLWithPath: root)
        let expected = model.network.projections(options.lora.targets)
        var found: [Int: PEFTAdapter] = [:]
        for (t, task) in taskNames.enumerated() {
            let dir = folder.appendingPathComponent(task)
            guard FileManager.default.fileExists(atPath: dir.appendingPathComponent(PEFTAdapter.configFile).path) else {
                continue
            }
            let adapter = try PEFTAdapter.read(from: dir)
            let modules = Dictionary(uniqueKeysWithValues: adapter.modules.map { ($0.name, $0) })
            for (name, linear) in expected {
                guard let m = modules[name] else {
                    throw AdapterError.invalidConfig("\(dir.path): no LoRA for \(name); the run adapts "
                        + "\(options.lora.targets.map(\.rawValue).joined(separator: ",")) (--targets)")
                }
                guard m.a.size(1) == linear.inFeatures, m.b.size(0) == linear.outFeatures else {
                    throw AdapterError.invalidConfig("\(dir.path): \(name) has A \(m.a.shape) and B \(m.b.shape), "
                        + "the model's projection is \(linear.inFeatures) → \(linear.outFeatures)")
                }
            }
            if let extra = modules.keys.first(where: { name in !expected.contains { $0.name == name } }) {
                throw AdapterError.invalidConfig("\(dir.path): a LoRA for \(extra), which the run does not adapt "
                    + "(--targets \(options.lora.targets.map(\.rawValue).joined(separator: ",")))")
            }
            found[t] = adapter
        }
        guard !found.isEmpty else {
            throw AdapterError.invalidConfig("\(folder.path) holds no adapter for any task of the stream "
                + "(expected \(folder.path)/<task>/\(PEFTAdapter.configFile) for a task among "
                + "\(taskNames.joined(separator: ", ")))")
        }
        initialAdapters = found
    }

    // MARK: What it stores

    /// Every task's LoRA plus the gate's statistics.
    public var storedParameterCount: Int {
        projections.reduce(0) { $0 + $1.experts.experts.reduce(0) { $0 + $1.parameterCount } }
            + (gate?.storedParameterCount ?? 0)
    }
    /// Independent experts are their own reference: one rank-r LoRA per task, plus the gate.
    public func independentEquivalent(tasksSeen: Int) -> Int? {
        tasksSeen * projections.reduce(0) { $0 + options.lora.rank * ($1.linear.inFeatures + $1.linear.outFeatures) }
            + (gate?.storedParameterCount ?? 0)
    }
    public var sharedUtilisation: SharedUtilisation? { nil }
    public var configuration: [String: JSONValue] { recordedConfiguration(method: name, options: options) }

    public func checkpoint() -> StrategyState {
        var state = StrategyState()
        for (name, _, experts) in projections {
            for (t, lora) in experts.experts.enumerated() {
                state.tensors["\(name).task\(t).lora_A.weight"] = lora.a
                state.tensors["\(name).task\(t).lora_B.weight"] = lora.b
            }
        }
        state.manifest = ["method": .string(name), "config": .object(configuration),
                          "tasks": .number(Double(taskCount)),
                          "scales": .array((projections.first?.experts.experts ?? [])
                              .map { .number(Double($0.scale)) })]
        state.store(gate: gate)
        return state
    }

    /// Rebuilds the strategy's experts and gate from a checkpoint (after `attach`), every expert frozen.
    func load(_ state: StrategyState) throws {
        let tasks = try state.manifestValue("tasks", as: Int.self)
        let scales = try state.manifestValue("scales", as: [Float].self)
        guard scales.count == tasks else {
            throw CheckpointError.invalid(file: "manifest.json", detail: "\(scales.count) scales for \(tasks) tasks")
        }
        for t in 0..<tasks {
            // each expert at its stored rank (see initAdapters)
            for (name, linear, experts) in projections {
                let a = try state.tensor("\(name).task\(t).lora_A.weight"),
                    b = try state.tensor("\(name).task\(t).lora_B.weight")
                guard a.rank == 2, b.rank == 2, a.size(1) == linear.inFeatures, b.size(0) == linear.outFeatures,
                      a.size(0) == b.size(1) else {
                    throw CheckpointError.shapeMismatch(file: "adapters.safetensors",
                                                       name: "\(name).task\(t).lora_A/B.weight",
                                                       expected: [options.lora.rank, linear.inFeatures], found: a.shape)
                }
                experts.append(LoRA(a: a.copy(), b: b.copy(), scale: scales[t]))
            }
        }
        try state.restore(gate: gate)
    }

    /// Rebuilds the strategy (independent experts, or a subclass) from a checkpoint on `model`.
    public static func restore(_ state: StrategyState, model: LanguageModel) throws -> Self {
        let strategy = Self(options: try state.options(Options.self))
        var rng = SeededRNG(seed: 0)
        strategy.attach(to: model, taskCount: 0, rng: &rng)
        try strategy.load(state)
        return strategy
    }
}

extension IndependentExperts {
    public static let method = ContinualMethod(
        name: "independent", summary: "a LoRA per task, nothing shared, SETA's gate picks one per input",
        defaults: Options(), make: { IndependentExperts(options: $0) },
        restore: { try IndependentExperts.restore($0, model: $1) })
}

extension IndependentExperts.Options: DeclaredOptions {
    public static let fields: [OptionField<Self>] = LoRAShape.fields.map { $0.lifted(\.lora) } + [
        .path("init-adapters", \.initAdapters, help: "independent, per-task: start each task's LoRA from the PEFT "
              + "adapter in DIR/<task>/ (adapter_config.json + adapter_model.safetensors, e.g. from seta export); "
              + "tasks without one start at B = 0."),
    ]
}
