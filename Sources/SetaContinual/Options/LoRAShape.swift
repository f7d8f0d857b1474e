// The LoRA shape the baselines share (rank, α, adapted projections): one option group, declared once and lifted
// into each baseline's options (`LoRAShape.fields.map { $0.lifted(\.lora) }`).
import SetaExperts

public struct LoRAShape: Codable, Equatable, Sendable {
    public var rank = 8
    public var alpha: Float = 16
    public var targets: [TargetProjection] = [.q, .v]
    public init() {}
    public init(rank: Int, alpha: Float) { self.rank = rank; self.alpha = alpha }
}

extension LoRAShape: DeclaredOptions {
    /// A rank above 1024 exceeds every supported model's width.
    public static let fields: [OptionField<Self>] = [
        .targets("targets", \.targets, help: "Adapted projections."),
        .integer("lora-rank", \.rank, 1...1024, help: "Baselines: rank of each LoRA (seq-lora, ewc, replay, mtl: "
                 + "the one LoRA; inc-lora, olora, independent, per-task: each task's)."),
        .number("lora-alpha", \.alpha, atLeast: 0, above: true, help: "Baselines: LoRA alpha (scale alpha/rank)."),
    ]
}
