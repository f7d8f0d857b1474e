// SETA — Mixture of Sparse Experts for Task-Agnostic Continual Learning (arXiv 2601.17616; reconstructed in
// ../shared/SETA.md, every choice a named option). Per adapted projection an ExpertPool holds a shared expert
// in K rank-k sub-blocks and one unique expert per task; a prototype gate on frozen features picks the expert.
//
//   L = L_LM(completion tokens) + λ · Σ_{b shared, trainable} Σ_{θ∈b} Ω̂_θ (θ − θ*)²    (closed-form gate: no L_gate)
//
// Task t, in the order the hooks run:
//   1. adaptive gating expansion — a unique expert U_t (B = 0) in every pool;
//   2. gradient-sensitivity probe — s_b = EMA over n_probe batches of mean_{θ∈b} |θ · ∂L_t/∂θ|
//      (mean |∂L_t/∂θ| for blocks still at B = 0, whose θ·g vanishes); with several ranks the gradient is summed
//      over ranks before the absolute value, so every rank scores and decides identically;
//   3. Split-on-Share — split / shared / frozen per block (SplitOnShare.swift);
//   4. training with elastic anchoring on the shared blocks that train in place;
//   5. consolidation — Fisher diagonal F of the shared parameters on task t (ranks square whole examples'
//      gradients and sum their shares), Ω ← γ Ω + F, anchors θ* ← θ,
//      U_t and its copies frozen, the gate stores μ_t and task t's share of the scatter.
import Foundation
import SetaExperts
import SetaMetrics
import SetaModels
import SetaTensor

public final class SETA: GatedStrategy {
    public struct Options: Codable, Equatable, Sendable {
        public var targets: [TargetProjection] = [.q, .v]
        public var pool = ExpertPool.Shape()             // r_s = 16 in K = 8 blocks of k = 2, r_u = 4, scale 2
        public var split = SplitOnShareOptions()
        public var lambda: Float = 1                      // anchoring strength, after normalising Ω by its mean
        public var probeBatches = 8
        public var probeDecay = 0.85
        public var fisherExamples = 64
        public var gamma: Float = 1                       // Ω ← γ Ω + F
        public var gate = GateOptions()
        public var uniqueInit = UniqueInit.zero
        public init() {}
    }

    /// How a new task's unique expert U_t starts (SETA.md step 1; `nearest` is our option, not the paper's).
    /// - zero: B = 0, so the oracle-routed output is the shared expert's (SETA.md);
    /// - nearest: a copy of U_j (A and B; not j's split copies), j = the expert the gate picks for most of task
    ///   t's training prompts before the expansion — the expert inference would use for them until now, so the
    ///   new task starts from the behaviour the model already shows on it (forward transfer) while U_j itself
    ///   stays frozen.
    public enum UniqueInit: String, Codable, Sendable, CaseIterable { case zero, nearest }

    public let options: Options
    public var name: String { "seta" }
    public private(set) var pools: [ExpertPool] = []
    public let routing = Routing()
    public private(set) var gate: PrototypeGate!
    private var embeddings: Tensor!

    /// What SETA keeps of each shared block between tasks: `blocks[p][b]` (training state, not stored adapters).
    struct SharedBlock {
        var omega: (a: Tensor, b: Tensor)                // Ω_θ
        var anchor: (a: Tensor, b: Tensor)               // θ*
        var normalisedOmega: (a: Tensor, b: Tensor)      // Ω̂ = Ω / mean(Ω over the pool), fixed during a task
        var atTaskStart: (a: Tensor, b: Tensor)          // the block's values when the current task began
        var trainedInPlaceBy: Set<Int> = []              // tasks that trained it in place (free or shared)
    }
    var blocks: [[SharedBlock]] = []                     // [pool][block]
    var runningProduct: [RunningProduct] = []            // running mean of q per pool (dynamic rule)
    // Records per task.
    public internal(set) var states: [[[BlockState]]] = []        // [task][pool][block]
    public internal(set) var sensitivities: [[[Double]]] = []     // [task][pool][block]
    var updateShares: [Double] = []
    public internal(set) var initialisedFrom: [Int?] = []             // [task] → the expert U_t was copied from

    public init(options: Options = Options()) { self.options = options }

    // MARK: Hooks

    public func attach(to model: LanguageModel, taskCount: Int, rng: inout SeededRNG) {
        embeddings = model.network.embeddings
        gate = PrototypeGate(dimension: model.config.hiddenSize, options: options.gate)
        pools = model.network.projections(options.targets).map { name, linear in
            let pool = ExpertPool(name: name, inFeatures: linear.inFeatures, outFeatures: linear.outFeatures,
                                  shape: options.pool, routing: routing, rng: &rng)
            linear.adapter = pool
            return pool
        }
        blocks = pools.map { pool in
            zip(pool.sharedA, pool.sharedB).map { a, b in
                let zeros = (a: Tensor(zeros: a.shape), b: Tensor(zeros: b.shape))
                return SharedBlock(omega: zeros, anchor: (a.copy(), b.copy()), normalisedOmega: zeros,
                                   atTaskStart: (a.copy(), b.copy()))
            }
        }
        runningProduct = pools.map { _ in RunningProduct() }
    }

    public func beginTask(_ t: Int, context: TrainingContext) {
        var rng = context.rng.fork()
        let source = options.uniqueInit == .nearest ? nearestExpert(for: t, context: context) : nil
        for pool in pools {                                                      // 1. expansion
            let u = pool.addUniqueExpert(rng: &rng)
            if let source { pool.copyUniqueExpert(source, into: u) }
        }
        initialisedFrom.append(source)
        let s = probe(t, context: context, rng: &rng)                            // 2. sensitivity
        sensitivities.append(s)
        var taskStates: [[BlockState]] = []
        for (p, pool) in pools.enumerated() {                                    // 3. Split-on-Share
            let omegaB = blocks[p].map { Double(blockMean($0.omega.a, $0.omega.b)) }
            let decided = splitOnShare(sensitivity: s[p], importance: omegaB, options: options.split,
                                       running: &runningProduct[p])
            for (b, state) in decided.enumerated() where state == .split { pool.split(block: b, forTask: t) }
            taskStates.append(decided)
            // Ω̂: Ω normalised by its mean over the adapted matrix, so λ does not depend on scale.
            let total = blocks[p].reduce(0.0) { $0 + sum($1.omega.a.values) + sum($1.omega.b.values) }
            let count = blocks[p].reduce(0) { $0 + $1.omega.a.count + $1.omega.b.count }
            let scale = total > 0 ? Float(Double(count) / total) : 0
            for b in blocks[p].indices {
                let omega = blocks[p][b].omega
                blocks[p][b].normalisedOmega = (SetaTensor.scale(omega.a, scale), SetaTensor.scale(omega.b, scale))
                blocks[p][b].atTaskStart = (pool.sharedA[b].copy(), pool.sharedB[b].copy())
            }
        }
        states.append(taskStates)
        setTrainable(task: t)
    }

    public var trainableParameters: [Tensor] {
        pools.flatMap { $0.sharedParameters + $0.unique.flatMap(\.parameters) }.filter(\.requiresGrad)
    }

    public func loss(_ batch: [PreparedExample], task t: Int, context: TrainingContext) -> Tensor {
        routing.route(allTo: t, tasks: t + 1, sequences: batch.count)           // oracle route while training
        let lm = context.languageModelLoss(batch)
        guard options.lambda > 0, let penalty = anchoringPenalty(task: t) else { return lm }
        return add(lm, scale(penalty, options.lambda))
    }

    public func endTask(_ t: Int, context: TrainingContext) {
        var rng = context.rng.fork()
        let fisher = fisherDiagonal(t, context: context, rng: &rng)              // 5. consolidation
        for (p, pool) in pools.enumerated() {
            for b in 0..<pool.shape.blocks {
                let splitByTask = states[t][p][b] == .split                          // F = 0 on blocks task t split
                let omega = blocks[p][b].omega
                for (o, f) in [(omega.a, fisher[p][b].a), (omega.b, fisher[p][b].b)] {
                    for i in 0..<o.count { o.data[i] = options.gamma * o.data[i] + (splitByTask ? 0 : f.data[i]) }
                }
                blocks[p][b].anchor = (pool.sharedA[b].copy(), pool.sharedB[b].copy())
                if [.free, .shared].contains(states[t][p][b]) { blocks[p][b].trainedInPlaceBy.insert(t) }
            }
        }
        updateShares.append(sharedUpdateShare(task: t))
        for tensor in pools.flatMap({ $0.sharedParameters + $0.unique.flatMap(\.parameters) }) {
            tensor.requiresGrad = false
        }
        gate.addTask(prompts: context.tasks[t].train.map(\.promptIds), embeddings: embeddings)
    }

    public func route(prompts: [[Int]], model: LanguageModel) -> [Int]? {
        gate.route(prompts: prompts, embeddings: embeddings, into: routing)
    }

    public func routeEverySequence(to t: Int, sequences: Int) {
        routing.route(allTo: t, tasks: gate.taskCount, sequences: sequences)
    }

    // MARK: Steps of the lifecycle

    /// The expert the gate picks for most of task t's training prompts (ties: the lower index); nil before any.
    func nearestExpert(for t: Int, context: TrainingContext) -> Int? {
        guard gate.taskCount > 0 else { return nil }
        var votes = [Int](repeating: 0, count: gate.taskCount)
        for example in context.tasks[t].train {
            votes[gate.route(PrototypeGate.features(ids: example.promptIds, embeddings: embeddings))] += 1
        }
        return votes.indices.max { votes[$0] < votes[$1] || (votes[$0] == votes[$1] && $0 > $1) }
    }

    /// s_b per pool and block: EMA over probe batches of mean |θ · ∂L/∂θ| (mean |∂L/∂θ| while B_b = 0).
    func probe(_ t: Int, context: TrainingContext, rng: inout SeededRNG) -> [[Double]] {
        let shared = pools.flatMap(\.sharedParameters)
        shared.forEach { $0.requiresGrad = true }
        defer { shared.forEach { $0.requiresGrad = false; $0.zeroGrad() } }
        var scores = pools.map { [Double](repeating: 0, count: $0.shape.blocks) }
        let batches = context.batches(of: context.tasks[t], size: context.options.batchSize, rng: &rng)
            .prefix(options.probeBatches)
        for (i, batch) in batches.enumerated() {
            shared.forEach { $0.zeroGrad() }
            routing.route(allTo: t, tasks: t + 1, sequences: batch.count)
            // This rank's share.
            let loss = context.backpropagatingEachGroup { context.languageModelLoss(Array(batch)) }
            if loss.requiresGrad { loss.backward() }
            context.reduceGradients(shared)                        // the batch's gradient, before |θ · g|
            for (p, pool) in pools.enumerated() {
                for b in 0..<pool.shape.blocks {
                    let (a, bb) = (pool.sharedA[b], pool.sharedB[b])
                    let untrained = bb.values.allSatisfy { $0 == 0 }
                    let score = (magnitude(a, weighted: !untrained) + magnitude(bb, weighted: !untrained))
                        / Double(a.count + bb.count)
                    scores[p][b] = i == 0 ? score : options.probeDecay * scores[p][b] + (1 - options.probeDecay) * score
                }
            }
        }
        return scores
    }

    /// Σ |θ·g| (or Σ |g|) over a tensor.
    private func magnitude(_ theta: Tensor, weighted: Bool) -> Double {
        guard let g = theta.grad else { return 0 }
        var s = 0.0
        for i in 0..<theta.count { s += Double(abs(weighted ? theta.data[i] * g.data[i] : g.data[i])) }
        return s
    }

    private func blockMean(_ a: Tensor, _ b: Tensor) -> Float {
        (a.values.reduce(0, +) + b.values.reduce(0, +)) / Float(a.count + b.count)
    }

    private func sum(_ xs: [Float]) -> Double { xs.reduce(0.0) { $0 + Double($1) } }

    /// Task t trains U_t, its copies, and the shared blocks in the free or shared state.
    private func setTrainable(task t: Int) {
        for (p, pool) in pools.enumerated() {
            for b in 0..<pool.shape.blocks {
                let trains = [.free, .shared].contains(states[t][p][b])
                pool.sharedA[b].requiresGrad = trains
                pool.sharedB[b].requiresGrad = trains
            }
            pool.unique[t].parameters.forEach { $0.requiresGrad = true }
        }
    }

    /// Σ over shared-state blocks of Σ Ω̂ (θ − θ*)²; nil when no block is anchored.
    func anchoringPenalty(task t: Int) -> Tensor? {
        var terms: [Tensor] = []
        for (p, pool) in pools.enumerated() {
            for b in 0..<pool.shape.blocks where states[t][p][b] == .shared {
                let block = blocks[p][b]
                for (theta, anchor, weight) in [(pool.sharedA[b], block.anchor.a, block.normalisedOmega.a),
                                                (pool.sharedB[b], block.anchor.b, block.normalisedOmega.b)] {
                    let d = add(theta, SetaTensor.scale(anchor, -1))
                    terms.append(SetaTensor.sum(mul(mul(d, d), weight)))
                }
            }
        }
        guard let first = terms.first else { return nil }
        return terms.dropFirst().reduce(first) { add($0, $1) }
    }

    /// Empirical Fisher diagonal of the shared parameters on task t: mean over examples of (∂ log p(y|x)/∂θ)².
    func fisherDiagonal(_ t: Int, context: TrainingContext, rng: inout SeededRNG) -> [[(a: Tensor, b: Tensor)]] {
        let shared = pools.flatMap(\.sharedParameters)
        shared.forEach { $0.requiresGrad = true }
        defer { shared.forEach { $0.requiresGrad = false; $0.zeroGrad() } }
        let fisher: [[(a: Tensor, b: Tensor)]] = pools.map { p in
            (0..<p.shape.blocks).map { b in (Tensor(zeros: p.sharedA[b].shape), Tensor(zeros: p.sharedB[b].shape)) }
        }
        let examples = context.batches(of: context.tasks[t], size: 1, rng: &rng).prefix(options.fisherExamples)
            .map { $0[0] }
        let n = Float(max(examples.count, 1))
        for example in context.shard(examples) {                 // each rank squares whole examples' gradients
            shared.forEach { $0.zeroGrad() }
            routing.route(allTo: t, tasks: t + 1, sequences: 1)
            context.negativeLogLikelihood(example).backward()
            for (p, pool) in pools.enumerated() {
                for b in 0..<pool.shape.blocks {
                    for (theta, f) in [(pool.sharedA[b], fisher[p][b].a), (pool.sharedB[b], fisher[p][b].b)] {
                        guard let g = theta.grad else { continue }
                        for i in 0..<f.count { f.data[i] += g.data[i] * g.data[i] / n }
                    }
                }
            }
        }
        context.sumOverRanks(fisher.flatMap { $0.flatMap { [$0.a, $0.b] } })
        return fisher
    }

    /// Σ‖ΔW‖_F of task t's shared-block updates / Σ‖ΔW‖_F of all its updates (unique expert and copies included).
    private func sharedUpdateShare(task t: Int) -> Double {
        var shared = 0.0, all = 0.0
        for (p, pool) in pools.enumerated() {
            let s = Double(pool.shape.scale)
            for b in 0..<pool.shape.blocks where [.free, .shared].contains(states[t][p][b]) {
                let start = blocks[p][b].atTaskStart
                let norm = s * lowRankNorm(bs: [pool.sharedB[b], SetaTensor.scale(start.b, -1)],
                                           as_: [pool.sharedA[b], start.a])
                shared += norm; all += norm
            }
            let expert = pool.unique[t]
            all += s * lowRankNorm(bs: [expert.b], as_: [expert.a])
            for split in expert.splits {
                let start = blocks[p][split.block].atTaskStart
                all += s * lowRankNorm(bs: [split.b, SetaTensor.scale(start.b, -1)], as_: [split.a, start.a])
            }
        }
        return all > 0 ? shared / all : 0
    }

    /// ‖[B_1 … B_n] [A_1; …; A_n]‖_F through the small Gram matrices: ‖BA‖² = Σ_ij (BᵀB)_ij (AAᵀ)_ij.
    private func lowRankNorm(bs: [Tensor], as_: [Tensor]) -> Double {
        let b = concat(bs.map { $0.detached() }, axis: 1), a = concat(as_.map { $0.detached() }, axis: 0)
        let btb = matmul(b, b, transposeA: true), aat = matmul(a, a, transposeB: true)
        var s = 0.0
        for i in 0..<btb.count { s += Double(btb.data[i]) * Double(aat.data[i]) }
        return max(s, 0).squareRoot()
    }

    // MARK: What it stores

    public var storedParameterCount: Int {
        pools.reduce(0) { $0 + $1.storedParameterCount } + (gate?.storedParameterCount ?? 0)
    }

    public func independentEquivalent(tasksSeen: Int) -> Int? {
        tasksSeen * pools.reduce(0) { $0 + options.pool.sharedRank * ($1.inFeatures + $1.outFeatures) }
            + (gate?.storedParameterCount ?? 0)
    }

    public var sharedUtilisation: SharedUtilisation? {
        let trainers = blocks.joined().map(\.trainedInPlaceBy)
        guard !trainers.isEmpty else { return nil }
        return SharedUtilisation(blocksReused: Double(trainers.filter { $0.count >= 2 }.count) / Double(trainers.count),
                                 sharedUpdateShare: updateShares)
    }

    public var configuration: [String: JSONValue] {
        var c: [String: JSONValue] = [:]
        if case let .object(o)? = try? JSONValue(encoding: options) { c = o }
        c["method"] = "seta"
        return c
    }
}

extension SETA {
    public static let method = ContinualMethod(
        name: "seta", summary: "SETA: shared and unique low-rank experts, Split-on-Share, elastic anchoring, a gate",
        defaults: Options(), make: { SETA(options: $0) }, restore: { try SETA.restore($0, model: $1) })
}

extension SETA.Options: DeclaredOptions {
    /// The options the command line and YAML reach (SETA.md's defaults); a unique rank above 1024 exceeds every
    /// supported model's width.
    public static let fields: [OptionField<Self>] = [
        .targets("targets", \.targets, help: "Adapted projections."),
        .number("lambda", \.lambda, atLeast: 0,
                help: "SETA: elastic anchoring strength λ (after normalising Ω by its mean)."),
        .choice("split-rule", \.split.rule, help: "SETA: split threshold rule."),
        .integer("fisher-examples", \.fisherExamples, 1...1_000_000, help: "SETA: Fisher examples per task for Ω."),
        .integer("probe-batches", \.probeBatches, 1...1_000_000,
                 help: "SETA: gradient-sensitivity probe batches per task."),
        .integer("unique-rank", \.pool.uniqueRank, 1...1024, help: "SETA: rank of each task's unique expert."),
        .choice("unique-init", \.uniqueInit, help: "SETA: how a new task's unique expert starts: zero (B = 0, as "
                + "SETA.md) or nearest (a copy of the expert the gate picks for the new task's prompts)."),
        .integer("shared-rank", \.pool.sharedRank, 1...1024, help: "SETA: rank r_s of each matrix's shared expert."),
        .integer("shared-blocks", \.pool.blocks, 1...1024,
                 help: "SETA: sub-blocks K of the shared expert (each of rank r_s / K; K divides r_s)."),
        .number("expert-scale", \.pool.scale, atLeast: 0, above: true, atMost: 1024,
                help: "SETA: scale s = α / r of every expert's and block's B A."),
        .number("sensitivity-percentile", \.split.sensitivityPercentile, atLeast: 0, atMost: 100,
                help: "SETA: τ_s, the percentile of the block sensitivities s_b below which a block is frozen."),
        .number("importance-percentile", \.split.importancePercentile, atLeast: 0, atMost: 100,
                help: "SETA: τ_Ω (percentile rule), the percentile of the importances Ω_b above which a sensitive "
                    + "block splits."),
        .number("dynamic-multiple", \.split.dynamicMultiple, atLeast: 0, above: true,
                help: "SETA: dynamic rule, split where q_b = (s_b / mean s)(Ω_b / mean Ω) exceeds this multiple of "
                    + "its running mean."),
        .number("probe-decay", \.probeDecay, atLeast: 0, atMost: 1,
                help: "SETA: EMA weight β of the earlier probe batches in s_b."),
        .number("gamma", \.gamma, atLeast: 0, atMost: 1, help: "SETA: decay γ in Ω ← γ·Ω + F."),
        .number("gate-shrinkage", \.gate.shrinkage, atLeast: 0, above: true, atMost: 1,
                help: "SETA: shrinkage of the gate's shared covariance toward a scaled identity."),
        .integer("gate-top-k", \.gate.topK, 1...1024,
                 help: "SETA: experts each input is routed to (1: hard top-1; more: soft top-k)."),
        .number("gate-temperature", \.gate.temperature, atLeast: 0, above: true,
                help: "SETA: temperature of the soft top-k weights on the gate's scores."),
    ]

    /// The shared expert splits into blocks of equal rank.
    public func checkTogether() throws(OptionError) {
        guard pool.sharedRank % pool.blocks == 0 else {
            throw OptionError(option: "shared-blocks", value: String(pool.blocks),
                              allowed: "a divisor of --shared-rank (\(pool.sharedRank))")
        }
    }
}
