// The report's SVGs: well-formed standalone XML (parsed by XMLParser), one heatmap cell per matrix entry with its
// value, one line per task and per method, the file names.
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import SetaMetrics
@testable import SetaReports

/// Every element of an XML document: its name, attributes and direct text.
final class ElementCollector: NSObject, XMLParserDelegate {
    struct Element { var name: String; var attributes: [String: String]; var text = "" }
    private(set) var elements: [Element] = []
    private var open: [Int] = []

    static func parse(_ text: String) throws -> [Element] {
        let parser = XMLParser(data: Data(text.utf8))
        let collector = ElementCollector()
        parser.delegate = collector
        guard parser.parse() else {
            throw parser.parserError ?? CocoaError(.propertyListReadCorrupt)
        }
        return collector.elements
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        open.append(elements.count)
        elements.append(Element(name: name, attributes: attributes))
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        open.removeLast()
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if let last = open.last { elements[last].text += string }
    }
}

@Suite struct PlotTests {
    private func report() throws -> (ComparisonReport, RunTree) {
        let tree = try sampleTree()
        return (try ComparisonReport(runs: try ReportRun.find([tree.root.path])), tree)
    }

    @Test func fileNamesPerGroupAndBenchmark() throws {
        let (report, tree) = try report()
        defer { tree.cleanup() }
        #expect(report.plots().map(\.name) == ["heatmap-b1-seta.svg", "heatmap-b1-seq-lora.svg", "tasks-b1.svg",
                                               "params-b1.svg", "heatmap-tasks-x-y-seta.svg", "tasks-tasks-x-y.svg"])
        #expect(slug("cl:order1") == "cl-order1" && slug("Long: Order 4!") == "long-order-4" && slug("::") == "run")
    }

    @Test func everyPlotIsStandaloneWellFormedSVG() throws {
        let (report, tree) = try report()
        defer { tree.cleanup() }
        for plot in report.plots() {
            let elements = try ElementCollector.parse(plot.svg)
            let root = try #require(elements.first)
            #expect(root.name == "svg", "\(plot.name)")
            #expect(root.attributes["xmlns"] == "http://www.w3.org/2000/svg", "\(plot.name)")
            let width = try #require(Double(root.attributes["width"] ?? "")), height = try #require(Double(root.attributes["height"] ?? ""))
            #expect(root.attributes["viewBox"] == "0 0 \(fmt(width)) \(fmt(height))", "\(plot.name)")
            #expect(elements.contains { $0.name == "title" && !$0.text.isEmpty }, "\(plot.name)")
            // Nothing drawn outside the canvas.
            for e in elements where e.name == "text" {
                let x = Double(e.attributes["x"]!)!, y = Double(e.attributes["y"]!)!
                #expect(x >= 0 && x <= width && y >= 0 && y <= height, "\(plot.name): \(e.text) at \(x), \(y)")
            }
        }
    }

    @Test func aLongStreamsLegendFitsOnTheCanvas() throws {
        // 15 tasks: the task legend and the line key are taller than one row of panels.
        let tree = try RunTree()
        defer { tree.cleanup() }
        let names = (1...15).map { "task\($0)_a_long_task_name" }
        let rows = (0..<15).map { i in (0..<15).map { j in Double((i * 7 + j * 3) % 100) } }
        try tree.add("long/seta", try run("seta", seed: 0, benchmark: "long", tasks: names, rows: rows, zeroShot: Array(repeating: 10, count: 15)))
        let report = try ComparisonReport(runs: try ReportRun.find([tree.root.path]))
        let plot = try #require(report.plots().first { $0.name.hasPrefix("tasks-") })
        let elements = try ElementCollector.parse(plot.svg)
        let height = try #require(Double(elements[0].attributes["height"] ?? ""))
        let lowest = elements.filter { $0.name == "text" }.map { Double($0.attributes["y"]!)! }.max()!
        #expect(elements.contains { $0.name == "text" && $0.text == "before it (transfer)" })
        #expect(lowest + 4 <= height, "lowest text at \(lowest), canvas \(height) high")
    }

    @Test func aLongStreamGetsOnePanelPerTaskWithOneLinePerMethod() throws {
        // 8 tasks: seq-lora measured everywhere; seta only on the seen tasks and the next (--eval-tasks seen), so its
        // "before" curve of task j ≥ 2 is the zero-shot score and the stage before training, with nothing between.
        let tree = try RunTree()
        defer { tree.cleanup() }
        let names = (1...8).map { "t\($0)" }
        let full = (0..<8).map { i in (0..<8).map { j in Double(10 * i + j) } }
        let seen = full.enumerated().map { i, row in row.enumerated().map { j, x in j <= i + 1 ? x : .nan } }
        try tree.add("long/seq", try run("seq-lora", seed: 0, benchmark: "long", tasks: names, rows: full, zeroShot: Array(repeating: 5, count: 8)))
        try tree.add("long/seta", try run("seta", seed: 0, benchmark: "long", tasks: names, rows: seen, zeroShot: Array(repeating: 5, count: 8)))
        let report = try ComparisonReport(runs: try ReportRun.find([tree.root.path]))
        let svg = try #require(taskCurvesSVG(benchmark: "long", groups: report.groups, showModel: false))
        let elements = try ElementCollector.parse(svg)
        let texts = elements.filter { $0.name == "text" }.map(\.text)
        #expect(Set(names.enumerated().map { "\($0 + 1) \($1)" }).isSubset(of: texts))   // a panel per task
        #expect(texts.contains("seta") && texts.contains("seq-lora") && texts.contains("method"))
        let lines = elements.filter { $0.name == "polyline" && $0.attributes["class"] == "task-line" }
        // Solid from the stage before training on: one per task and method.
        #expect(lines.filter { $0.attributes["stroke-dasharray"] == nil }.count == 2 * 8)
        // Dashed: seq-lora for tasks 2–8; seta only for task 2 (zero-shot → after task 1, adjacent stages).
        #expect(lines.filter { $0.attributes["stroke-dasharray"] == "5 4" }.count == 7 + 1)
        // seta's zero-shot points of tasks 3–8 have no measured neighbour: dots, not lines.
        #expect(elements.filter { $0.attributes["class"] == "transfer-point" }.count == 6)
        #expect(consecutiveRuns([(0, 1), (2, 1), (3, 1)]).map(\.count) == [1, 2])
    }

    @Test func heatmapHasOneCellPerMatrixEntryWithItsValue() throws {
        let (report, tree) = try report()
        defer { tree.cleanup() }
        let seta = report.groups[0]  // mean matrix [[70, 15], [65, 95]], zero-shot [5, 20]
        let elements = try ElementCollector.parse(heatmapSVG(seta))
        let cells = elements.filter { $0.name == "rect" && $0.attributes["class"] == "cell" }
        #expect(cells.count == 4)
        #expect(elements.filter { $0.attributes["class"] == "zero-shot" }.count == 2)
        let values = elements.filter { $0.name == "text" && $0.attributes["class"] == "value" }.map(\.text)
        #expect(values == ["5", "20", "70", "15", "65", "95"])
        let labels = Set(elements.filter { $0.name == "text" }.map(\.text))
        #expect(labels.isSuperset(of: ["after task", "task", "zero-shot", "1 x", "2 y", "0", "100"]))
        // Colours run along viridis: 0 is dark purple, 100 yellow.
        #expect(viridis(0) == "#440154" && viridis(1) == "#fde725" && isDark(viridis(0)) && !isDark(viridis(1)))
        #expect(cells.first?.attributes["fill"] == viridis(0.7))
    }

    @Test func taskCurvesHaveOneLinePerTaskInEachPanel() throws {
        let (report, tree) = try report()
        defer { tree.cleanup() }
        let svg = try #require(taskCurvesSVG(benchmark: "b1", groups: Array(report.groups[0...1]), showModel: false))
        let elements = try ElementCollector.parse(svg)
        let texts = elements.filter { $0.name == "text" }.map(\.text)
        #expect(texts.contains("seta (2 runs)") && texts.contains("seq-lora") && texts.contains("1 x"))
        // Per panel and task a solid line; dashed before training only for task 2 (zero-shot → after task 1).
        let lines = elements.filter { $0.name == "polyline" && $0.attributes["class"] == "task-line" }
        #expect(lines.filter { $0.attributes["stroke-dasharray"] == nil }.count == 2 * 2)
        #expect(lines.filter { $0.attributes["stroke-dasharray"] == "5 4" }.count == 2)
        #expect(elements.filter { $0.name == "circle" }.count == 2 * 3 + 2 + 1)  // 3 points per panel, legend
    }

    @Test func parameterPlotShowsEachMethodAndIndependentExperts() throws {
        let (report, tree) = try report()
        defer { tree.cleanup() }
        let svg = try #require(parameterGrowthSVG(benchmark: "b1", groups: Array(report.groups[0...1]), showModel: false))
        let elements = try ElementCollector.parse(svg)
        let texts = elements.filter { $0.name == "text" }.map(\.text)
        #expect(texts.contains("seta: 200 after task 2 (25% of independent)"))
        #expect(texts.contains("seq-lora: 50 after task 2 (6% of independent)"))
        #expect(texts.contains("independent experts") && texts.contains("after task") && texts.contains("parameters"))
        #expect(niceTicks(maximum: 800) == [0, 200, 400, 600, 800] && niceTicks(maximum: 3_854_880).last == 4_000_000)
        // No parameters recorded: no plot.
        #expect(parameterGrowthSVG(benchmark: "x", groups: [report.groups[2]], showModel: false) == nil)
    }

    @Test func independentExpertsNameEachMethodOnceAcrossPrecisions() throws {
        let tree = try sampleTree()
        defer { tree.cleanup() }
        var bf16 = try run("seta", seed: 0, benchmark: "b1", rows: [[80, 10], [70, 90]], zeroShot: [5, 15], stored: [100, 150])
        bf16.config = ["weights": .string("bf16")]
        try tree.add("b1-bf16/seta-s0", bf16)
        var seqBF16 = try run("seq-lora", seed: 0, benchmark: "b1", rows: [[90, 10], [30, 95]], zeroShot: [5, 15],
                              stored: [50, 50], independent: [100, 200])
        seqBF16.config = ["weights": .string("bf16")]
        try tree.add("b1-bf16/seq", seqBF16)
        let report = try ComparisonReport(runs: try ReportRun.find([tree.root.path]))
        let groups = report.groups.filter { $0.benchmark == "b1" }
        #expect(groups.count == 4)
        let svg = try #require(parameterGrowthSVG(benchmark: "b1", groups: groups, showModel: true))
        let texts = try ElementCollector.parse(svg).filter { $0.name == "text" }.map(\.text)
        // Two independent lines (ranks differ): seta's (both precisions) and seq-lora's bf16 one, each method once.
        #expect(texts.filter { $0.hasPrefix("independent experts") }.sorted()
                == ["independent experts (rank of seq-lora)", "independent experts (rank of seta, seq-lora)"], "\(texts)")
    }
}
