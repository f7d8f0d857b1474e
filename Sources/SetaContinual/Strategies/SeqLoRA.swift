// SeqLoRA: one LoRA (rank r, scale α/r) on the target projections, trained on every task in turn with no
// protection against forgetting — the lower bound every continual method must beat. The whole method is this
// file: the strategy, its registration, what `seta inspect` shows of it and the adapter `seta export` writes.
import SetaExperts
import SetaMetrics
import SetaModels
import SetaTensor

public final class SeqLoRA: OneLoRAStrategy, PeerReplayable, ExportsTaskLoRA {
    public typealias Options = LoRAShape
    /// The LoRA that trains on every task.
    public let lora: AdaptedLoRA
    public var options: Options { lora.shape }
    public var adapters: [(name: String, lora: LoRA)] { lora.adapters }
    public var loraShape: LoRAShape { lora.shape }
    public var name: String { "seq-lora" }

    public init(options: Options = Options()) { lora = AdaptedLoRA(shape: options) }
    private init(lora: AdaptedLoRA) { self.lora = lora }

    // The hooks are OneLoRAStrategy's (AdaptedLoRA.swift): attach the LoRA, train all of it on the LM loss of every
    // task in turn, no gate; it stores the LoRA, and results.json records its rank, alpha and targets.

    /// Rebuilds SeqLoRA from a checkpoint on `model`.
    public static func restore(_ state: StrategyState, model: LanguageModel) throws -> SeqLoRA {
        SeqLoRA(lora: try AdaptedLoRA.restored(state, model: model))
    }

    // MARK: Inspection and export

    public func inspection(_ input: InspectionInput) -> MethodInspection {
        MethodInspection(
            pools: lora.poolInspections,
            parameters: StoredParameters(shared: storedParameterCount, unique: 0, gate: 0, total: storedParameterCount,
                                         independentEquivalent: independentEquivalent(tasksSeen: input.tasksCompleted),
                                         trainingState: 0),
            notes: ["seq-lora has no gate: every input goes through its one LoRA, trained on every task in turn "
                    + "(no experts, block states or Ω)"])
    }

    public func effectiveLoRA(task t: Int) throws -> PEFTAdapter { try lora.effectiveLoRA(method: name) }

    public static let method = ContinualMethod(
        name: "seq-lora", summary: "one LoRA trained on every task in turn (the lower bound)",
        defaults: Options(), make: { SeqLoRA(options: $0) }, restore: { try SeqLoRA.restore($0, model: $1) })
}
