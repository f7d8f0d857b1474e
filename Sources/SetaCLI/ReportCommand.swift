// seta report: one comparison table of runs (mean ± sd over seeds) and SVG plots.
import ArgumentParser
import Foundation
import SetaMetrics
import SetaReports

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare runs: one table of methods (mean ± sd over seeds) and SVG plots.",
        discussion: """
        Each RUN is a run folder holding results.json (and timings.json for the wall time), a results.json file, or \
        any folder: every results.json below it is read (e.g. benchmarks/results/). Runs are grouped by benchmark, \
        model and method; a group of several runs (seeds) shows mean ± sample sd. Columns: AA, BWT, FWT, FGT, \
        stored parameters after the last task and their share of independent experts, routing accuracy, wall time.

        --plot-dir DIR writes SVGs (open them in a browser): heatmap-<benchmark>-<method>.svg (the accuracy \
        matrix), tasks-<benchmark>.svg (each task's accuracy across the stream, one panel per method) and \
        params-<benchmark>.svg (stored parameters after each task against independent experts).

        --update FILE rewrites the generated section of a Markdown file (e.g. BENCHMARKS.md) with the table; \
        the rest of the file is kept.

        Examples:
          seta report runs/demo/seta runs/demo/seq-lora
          seta report benchmarks/results --markdown --plot-dir benchmarks/plots
          seta report benchmarks/results --update BENCHMARKS.md
          seta report runs --csv > runs.csv
        """)

    enum Format: String, EnumerableFlag {
        case text, markdown, csv, json
        static func help(for value: Format) -> ArgumentHelp? {
            switch value {
            case .text: return "An aligned text table."
            case .markdown: return "A GitHub Markdown table."
            case .csv: return "CSV, one line per method and benchmark (means and sds as plain numbers)."
            case .json: return "JSON: every statistic as {mean, sd, n}, the mean matrix and parameter growth."
            }
        }
    }

    @Argument(help: ArgumentHelp("Run folders, results.json files, or folders to search for results.json.",
                                 valueName: "run"))
    var runs: [String]
    @Flag(exclusivity: .exclusive) var format: Format = .text
    @Option(help: ArgumentHelp("Write the SVG plots into this folder (created if missing).", valueName: "dir"))
    var plotDir: String?
    @Option(help: ArgumentHelp("Replace the generated section of this Markdown file (created if missing) "
                                   + "with the table.",
                               valueName: "file"))
    var update: String?

    func run() throws {
        try reportingErrors {
            let report = try ComparisonReport(runs: try ReportRun.find(runs))
            switch format {
            case .text: print(report.text(), terminator: "")
            case .markdown: print(report.markdown(), terminator: "")
            case .csv: print(report.csv(), terminator: "")
            case .json: print(try report.json(), terminator: "")
            }
            if let plotDir { try writePlots(report.plots(), to: URL(fileURLWithPath: plotDir)) }
            if let update { try updateDocument(URL(fileURLWithPath: update), with: report) }
        }
    }

    private func writePlots(_ plots: [PlotFile], to folder: URL) throws {
        do { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
            throw ValidationError("cannot create the plot folder \(folder.path): \(error.localizedDescription)")
        }
        for plot in plots {
            let url = folder.appendingPathComponent(plot.name)
            do { try Data(plot.svg.utf8).write(to: url, options: .atomic) } catch {
                throw ValidationError("cannot write \(url.path): \(error.localizedDescription)")
            }
        }
        standardError("wrote \(plots.count) plots to \(folder.path): " + plots.map(\.name).joined(separator: ", "))
    }

    private func updateDocument(_ url: URL, with report: ComparisonReport) throws {
        let old: String
        if FileManager.default.fileExists(atPath: url.path) {
            guard let text = try? String(contentsOf: url, encoding: .utf8) else {
                throw ValidationError("cannot read \(url.path) as UTF-8 text")
            }
            old = text
        } else {
            old = ""
        }
        let arguments = runs.joined(separator: " ")
        let section = "## Continual learning: methods compared\n\n`seta report \(arguments)`\n\n" + report.markdown()
        do {
            try Data(ComparisonReport.replacingSection(in: old, with: section).utf8).write(to: url, options: .atomic)
        } catch {
            throw ValidationError("cannot write \(url.path): \(error.localizedDescription)")
        }
        standardError("updated the generated section of \(url.path)")
    }
}
