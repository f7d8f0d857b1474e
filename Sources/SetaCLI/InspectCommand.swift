// seta inspect RUN: what a trained run holds (the library's RunInspection), as compact tables or one JSON object.
import ArgumentParser
import Foundation
import SetaContinual
import SetaExperts
import SetaMetrics

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what a trained run holds: experts, block states, stored parameters, Ω, "
            + "and the gate's routing.",
        discussion: """
        Restores the last checkpoint of RUN (RUN/checkpoints/task-k/) and prints, per adapted matrix (layer and \
        projection), the shared expert's blocks with their state while each task trained (free, shared, split, \
        frozen), the rank of every task's unique expert, the parameters stored and statistics of Ω; then the \
        gate's routing matrix on the tasks' test prompts (those the trainer evaluated: same seeded subset and \
        truncation, read again from the data) and the totals. SeqLoRA runs show their LoRA's ranks and sizes.

        Examples:
          seta inspect runs/demo/seta
          seta inspect runs/cl1-seta --json | jq '.routing.fractions'
          seta inspect runs/cl1-seta --no-routing      # reads no task data
          seta inspect runs/mine --data my-tasks       # a --data run
        """)
    @Argument(help: ArgumentHelp("A run folder written by `seta train` or `seta demo`.", valueName: "run"))
    var runFolder: String
    @Flag(help: "Print one JSON object (snake_case keys, the same keys for every run) for scripts.") var json = false
    @Flag(help: "Skip the routing matrix (reads no task data).") var noRouting = false
    @Option(help: "Root of the benchmark data (default $SETA_DATA or ../shared/data).") var dataRoot: String?
    @Option(help: "The task folder of a run trained with --data DIR.") var data: String?
    @Option(help: "The base model, when run.json's model does not resolve from here.") var model: String?

    func run() throws {
        try reportingErrors {
            let options = InspectionOptions(model: model, routing: !noRouting,
                                            dataRoot: dataRoot.map { URL(fileURLWithPath: $0) },
                                            dataFolder: data.map { URL(fileURLWithPath: $0) })
            let inspection = try RunInspection.inspect(run: URL(fileURLWithPath: runFolder), options: options)
            if json {
                print(String(decoding: try inspection.jsonData(), as: UTF8.self))
            } else {
                print(render(inspection, run: runFolder))
            }
        }
    }
}

// MARK: Human output

/// The inspection as text: a header, per-matrix tables, the routing matrix, totals and notes.
func render(_ r: RunInspection, run: String) -> String {
    var out = ["\(run): \(r.method) on \(r.model)\(r.benchmark.map { ", benchmark \($0)" } ?? ""), seed \(r.seed), "
               + "\(r.tasksCompleted) of \(r.tasks.count) tasks trained"]
    let trained = Array(r.tasks.prefix(r.tasksCompleted))
    let names = trained.map { shortTaskName($0) }
    let rowLabel = { (p: PoolInspection) in [p.layer.map(String.init) ?? "-", p.projection] }
    if r.method == "seta", let first = r.pools.first {
        let pool = r.config["pool"].flatMap(object)
        out.append("Shared expert per adapted matrix: rank \(first.sharedRank) in \(first.blockCount) blocks of rank "
                   + "\(first.sharedRank / max(first.blockCount, 1)); unique experts: rank "
                   + "\(number(pool?["unique_rank"])) + \(first.sharedRank / max(first.blockCount, 1)) "
                   + "per block split; scale \(number(pool?["scale"])); λ \(number(r.config["lambda"])), "
                   + "split rule \(string(r.config["split"].flatMap(object)?["rule"]))")
        out.append("")
        out.append("Block states per task (f free · s shared, anchored by Ω · X split: the task trains its own copy "
                   + "· . frozen)")
        out.append(table(header: ["layer", "proj"] + names,
                         rows: r.pools.map { p in rowLabel(p) + p.blockStates.map { String($0.map(letter)) } },
                         rightAligned: [0]))
        for (t, c) in r.blockStateTotals.enumerated() {
            let parts = [(c.free, "free"), (c.shared, "shared"), (c.split, "split"), (c.frozen, "frozen")]
                .filter { $0.0 > 0 }
            out.append("  task \(t + 1) \(trained[t]): " + parts.map { "\($0.0) \($0.1)" }.joined(separator: ", ")
                       + " of \(c.total) blocks")
        }
        out.append("")
        out.append("Experts and Ω per adapted matrix (unique ranks in task order)")
        out.append(table(header: ["layer", "proj", "in→out", "shared", "unique", "stored",
                                  "Ω mean", "Ω max", "Ω = 0"],
                         rows: r.pools.map { p in
                             rowLabel(p) + ["\(p.inFeatures)→\(p.outFeatures)", "\(p.sharedRank)",
                                            p.uniqueRanks.map(String.init).joined(separator: " "),
                                            grouped(p.storedParameters),
                                            scientific(p.omega?.mean), scientific(p.omega?.max),
                                            percent(p.omega?.zeroFraction)]
                         }, rightAligned: [0, 2, 3, 5, 6, 7, 8]))
    } else {
        out.append("")
        out.append("Adapters per adapted matrix")
        out.append(table(header: ["layer", "proj", "in→out", "rank", "stored"],
                         rows: r.pools.map { p in
                             rowLabel(p) + ["\(p.inFeatures)→\(p.outFeatures)", "\(p.sharedRank)",
                                            grouped(p.storedParameters)]
                         },
                         rightAligned: [0, 2, 3, 4]))
    }
    if let routing = r.routing {
        out.append("")
        out.append("Gate routing on the test prompts (row: the prompt's task; column: the expert chosen, "
                   + "% of the row; n: prompts)")
        let rows = routing.tasks.indices.map { i in
            [shortTaskName(routing.tasks[i])] + routing.fractions[i].map { String(format: "%.1f", 100 * $0) }
                + ["\(routing.prompts[i])"]
        }
        out.append(table(header: [""] + routing.experts.map { shortTaskName($0) } + ["n"], rows: rows,
                         rightAligned: Set(1...(routing.experts.count + 1))))
        if let accuracy = routing.accuracy {
            out.append(String(format: "routing accuracy %.1f%%", accuracy)
                       + (routing.recordedAccuracy.map { String(format: " (results.json: %.1f%%)", $0) } ?? ""))
        }
        out.append("prompts: \(routing.source)")
    }
    out.append("")
    let p = r.parameters
    var stored = "Stored parameters: "
    stored += r.method == "seta"
        ? "\(grouped(p.shared)) shared + \(grouped(p.unique)) unique + \(grouped(p.gate)) gate = \(grouped(p.total))"
        : grouped(p.total)
    if let eq = p.independentEquivalent, r.method == "seta" {
        stored += String(format: " (%.0f%% of independent experts: %@)", 100 * Double(p.total) / Double(max(eq, 1)),
                         grouped(eq))
    }
    out.append(stored)
    if p.trainingState > 0 {
        out.append("Training state in the checkpoint, not counted: Ω and θ* \(grouped(p.trainingState))")
    }
    if let omega = r.omega {
        out.append("Ω (Fisher importance summed over the trained tasks) over all shared parameters: "
                   + "mean \(scientific(omega.mean)), max \(scientific(omega.max)), "
                   + "\(percent(omega.zeroFraction)) zero")
    }
    if let gate = r.gate {
        out.append("Gate: \(gate.kind), \(gate.experts) experts, d = \(gate.dimension), "
                   + "shrinkage \(gate.shrinkage), top-\(gate.topK)")
    }
    if let u = r.sharedUtilisation {
        out.append(String(format: "Shared blocks trained in place by ≥ 2 tasks: %.1f%%", 100 * u.blocksReused))
    }
    out += r.notes.map { "note: \($0)" }
    return out.joined(separator: "\n")
}

private func letter(_ s: BlockState) -> Character {
    switch s {
    case .free: return "f"
    case .shared: return "s"
    case .split: return "X"
    case .frozen: return "."
    }
}

/// Columns padded to their widest cell, two spaces apart; `rightAligned` columns are padded on the left.
private func table(header: [String], rows: [[String]], rightAligned: Set<Int>) -> String {
    let all = [header] + rows
    let widths = header.indices.map { c in all.map { c < $0.count ? $0[c].count : 0 }.max() ?? 0 }
    return all.map { row in
        row.enumerated().map { c, cell in
            let pad = String(repeating: " ", count: max(0, widths[c] - cell.count))
            return rightAligned.contains(c) ? pad + cell : cell + pad
        }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
    }.joined(separator: "\n")
}

private func shortTaskName(_ name: String, limit: Int = 12) -> String {
    name.count <= limit ? name : String(name.prefix(limit - 1)) + "~"
}

private func grouped(_ n: Int) -> String {
    let digits = String(abs(n))
    var out = ""
    for (i, ch) in digits.enumerated() {
        if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
        out.append(ch)
    }
    return (n < 0 ? "-" : "") + out
}

private func scientific(_ x: Double?) -> String { x.map { $0 == 0 ? "0" : String(format: "%.1e", $0) } ?? "-" }
private func percent(_ x: Double?) -> String { x.map { String(format: "%.1f%%", 100 * $0) } ?? "-" }
private func object(_ v: JSONValue) -> [String: JSONValue]? {
    if case let .object(o) = v { return o } else { return nil }
}
private func number(_ v: JSONValue?) -> String {
    guard case let .number(x)? = v else { return "?" }
    return x == x.rounded() ? String(Int(x)) : String(x)
}
private func string(_ v: JSONValue?) -> String { if case let .string(s)? = v { return s } else { return "?" } }
