// Line charts of the report: each task's accuracy across the stream (one panel per method) and stored parameters
// after each task against independent experts. Legends sit to the right of the plot areas, never over data.
import Foundation
import SetaMetrics

/// A plot area: data coordinates mapped onto a rectangle of the canvas.
struct PlotArea {
    let x: Double, y: Double, width: Double, height: Double
    let xRange: ClosedRange<Double>, yRange: ClosedRange<Double>

    func px(_ v: Double) -> Double { x + width * (v - xRange.lowerBound) / (xRange.upperBound - xRange.lowerBound) }
    func py(_ v: Double) -> Double {
        y + height * (1 - (v - yRange.lowerBound) / (yRange.upperBound - yRange.lowerBound))
    }

    /// Horizontal grid lines with y tick labels, x tick marks with labels, the axes and their titles.
    func drawAxes(on svg: inout SVGCanvas, xTicks: [(Double, String)], yTicks: [(Double, String)], xTitle: String,
                  yTitle: String?) {
        for (v, label) in yTicks {
            svg.add(svgLine(x, py(v), x + width, py(v), stroke: SVGStyle.grid))
            svg.add(svgText(label, x: x - 6, y: py(v) + 4, size: 11, anchor: "end", fill: SVGStyle.muted))
        }
        svg.add(svgLine(x, y + height, x + width, y + height, stroke: SVGStyle.axis))
        svg.add(svgLine(x, y, x, y + height, stroke: SVGStyle.axis))
        for (v, label) in xTicks {
            svg.add(svgLine(px(v), y + height, px(v), y + height + 4, stroke: SVGStyle.axis))
            svg.add(svgText(label, x: px(v), y: y + height + 17, size: 11, anchor: "middle", fill: SVGStyle.muted))
        }
        if !xTitle.isEmpty {
            svg.add(svgText(xTitle, x: x + width / 2, y: y + height + 34, size: 12, anchor: "middle"))
        }
        if let yTitle {
            let left = x - 6 - (yTicks.map { textWidth($0.1, size: 11) }.max() ?? 0) - 12
            svg.add(svgText(yTitle, x: left, y: y + height / 2, size: 12, anchor: "middle", rotate: -90))
        }
    }
}

/// A legend entry: a short line (dashed or not) with an optional marker, then the label.
struct LegendEntry {
    var label: String
    var colour: String
    var dash: String? = nil
    var marker = true
    var opacity: Double? = nil
    /// The marker's shape (see `marker(_:_:_:size:fill:stroke:)`).
    var shape = 0
}

/// Draws a legend with its top-left corner at (x, y); returns its height.
@discardableResult
func drawLegend(_ entries: [LegendEntry], title: String?, x: Double, y: Double, on svg: inout SVGCanvas) -> Double {
    var top = y
    if let title {
        svg.add(svgText(title, x: x, y: top + 10, size: 12, weight: "bold"))
        top += 22
    }
    for e in entries {
        let mid = top + 6
        svg.add(svgPolyline([(x, mid), (x + 26, mid)], stroke: e.colour, width: 2, dash: e.dash, opacity: e.opacity))
        if e.marker { svg.add(marker(e.shape, x + 13, mid, size: 3.5, fill: e.colour)) }
        svg.add(svgText(e.label, x: x + 34, y: mid + 4, size: 12))
        top += 20
    }
    return top - y
}

func legendWidth(_ entries: [LegendEntry], title: String?) -> Double {
    max(entries.map { 34 + textWidth($0.label, size: 12) }.max() ?? 0, title.map { textWidth($0, size: 12) } ?? 0)
}

/// A data marker centred on (x, y) with "radius" `size`: shape 0 circle, 1 square, 2 triangle, 3 diamond (cycling),
/// so series that share a colour or coincide stay apart.
func marker(_ shape: Int, _ x: Double, _ y: Double, size: Double, fill: String, stroke: String? = nil) -> String {
    let outline = stroke.map { #" stroke="\#($0)" stroke-width="1.5""# } ?? ""
    func polygon(_ points: [(Double, Double)]) -> String {
        #"<polygon points="\#(points.map { "\(fmt(x + $0.0)),\(fmt(y + $0.1))" }.joined(separator: " "))" "#
            + #"fill="\#(fill)""# + outline + "/>"
    }
    switch shape % 4 {
    case 1: let h = size * 0.9; return polygon([(-h, -h), (h, -h), (h, h), (-h, h)])
    case 2: let h = size * 1.2; return polygon([(0, -h), (h, h * 0.75), (-h, h * 0.75)])
    case 3: let h = size * 1.25; return polygon([(0, -h), (h, 0), (0, h), (-h, 0)])
    default: return #"<circle cx="\#(fmt(x))" cy="\#(fmt(y))" r="\#(fmt(size))" fill="\#(fill)""# + outline + "/>"
    }
}

/// The line key of the task-curve plots (this file and PlotTaskPanels.swift).
let taskLineKey = [LegendEntry(label: "after training on the task", colour: SVGStyle.muted),
                   LegendEntry(label: "before it (transfer)", colour: SVGStyle.muted, dash: "5 4", marker: false,
                               opacity: 0.7)]

/// Task `j`'s scores in group `g` (the mean over its runs) as (stage, score): the zero-shot score at stage 0, then
/// the score after each task k at stage k; cells not measured (NaN, `--eval-tasks seen`) are left out.
func stageScores(_ g: ReportGroup, task j: Int) -> [(x: Double, y: Double)] {
    var points: [(x: Double, y: Double)] = []
    if let zeroShot = g.meanZeroShot { points.append((0, zeroShot[j])) }
    points += g.meanMatrix.indices.map { (Double($0 + 1), g.meanMatrix[$0][j]) }
    return points.filter { !$0.y.isNaN }
}

/// Each task's accuracy after each training stage, one panel per method (the mean over its runs), one line per
/// task: dashed before the task is trained, solid from the stage before it on, a ring where it was just trained.
/// Streams of more than `taskPanelThreshold` tasks get one panel per task instead (PlotTaskPanels.swift).
/// Nil when no group of the benchmark is sequential.
func taskCurvesSVG(benchmark: String, groups: [ReportGroup], showModel: Bool) -> String? {
    let sequential = groups.filter { $0.meanMatrix.count == $0.tasks.count && $0.tasks.count > 1 }
    guard let first = sequential.first else { return nil }
    let tasks = first.tasks, t = tasks.count
    if t > taskPanelThreshold { return taskPanelsSVG(benchmark: benchmark, groups: sequential, showModel: showModel) }
    let hasZeroShot = sequential.contains { $0.meanZeroShot != nil }
    let xStart = hasZeroShot ? 0.0 : 1.0
    let plotW = max(260, 24 * Double(t + 1)), plotH = 200.0
    let panelW = 46 + plotW + 24, panelH = 30 + plotH + 44
    let columns = min(sequential.count, 3), rows = (sequential.count + columns - 1) / columns

    // Colours repeat after ten tasks; the marker shape then tells them apart.
    let entries = (0..<t).map {
        LegendEntry(label: taskLabel(tasks, $0), colour: SVGStyle.colour($0), shape: $0 / SVGStyle.palette.count)
    }
    let key = taskLineKey
    let legendW = max(legendWidth(entries, title: "task"), legendWidth(key, title: "line"))
    let legendH = 24 + 22 + 20 * Double(t) + 14 + 22 + 40   // drawn from top + 24: tasks, a gap, the line key

    let title = "Accuracy on each task across the stream: \(benchmark)"
    let subtitle = "x: after task k" + (hasZeroShot ? " (0 = zero-shot)" : "") + " · y: score 0–100"
        + (sequential.contains { $0.runs.count > 1 } ? " · mean over seeds" : "")
    let top = 66.0, left = 16.0
    let legendX = left + Double(columns) * panelW + 16
    let width = max(legendX + legendW + 16, textWidth(title, size: 16) + 32, textWidth(subtitle, size: 12) + 32)
    let height = top + max(Double(rows) * panelH, legendH) + 12
    var svg = SVGCanvas(width: width, height: height)
    svg.add(svgText(title, x: left, y: 28, size: 16, weight: "bold"))
    svg.add(svgText(subtitle, x: left, y: 48, size: 12, fill: SVGStyle.muted))

    for (p, g) in sequential.enumerated() {
        let panelX = left + Double(p % columns) * panelW, panelY = top + Double(p / columns) * panelH
        let area = PlotArea(x: panelX + 46, y: panelY + 30, width: plotW, height: plotH,
                            xRange: (xStart - 0.3)...(Double(t) + 0.3), yRange: 0...100)
        let name = seriesName(g, showModel: showModel) + (g.runs.count > 1 ? " (\(g.runs.count) runs)" : "")
        svg.add(svgText(name, x: area.x + plotW / 2, y: panelY + 16, size: 13, anchor: "middle", weight: "bold"))
        let xTicks = stride(from: xStart, through: Double(t), by: 1).map { ($0, fmt($0)) }
        area.drawAxes(on: &svg, xTicks: xTicks, yTicks: stride(from: 0.0, through: 100, by: 20).map { ($0, fmt($0)) },
                      xTitle: "after task", yTitle: p % columns == 0 ? "score" : nil)
        for j in 0..<t {
            let points = stageScores(g, task: j)
            let trained = Double(j + 1), colour = SVGStyle.colour(j), shape = j / SVGStyle.palette.count
            let before = points.filter { $0.x <= trained - 1 }, after = points.filter { $0.x >= trained - 1 }
            for run in consecutiveRuns(before) where run.count > 1 {   // never across unmeasured stages
                svg.add(svgPolyline(run.map { (area.px($0.x), area.py($0.y)) }, stroke: colour, width: 1.5,
                                    dash: "5 4", opacity: 0.7, className: "task-line"))
            }
            svg.add(svgPolyline(after.map { (area.px($0.x), area.py($0.y)) }, stroke: colour, width: 2,
                                className: "task-line"))
            for point in after where point.x >= trained {
                let big = point.x == trained
                svg.add(marker(shape, area.px(point.x), area.py(point.y), size: big ? 5 : 3, fill: colour,
                               stroke: big ? "white" : nil))
            }
        }
    }
    let used = drawLegend(entries, title: "task", x: legendX, y: top + 24, on: &svg)
    drawLegend(key, title: "line", x: legendX, y: top + 24 + used + 14, on: &svg)
    return svg.document(title: title)
}

/// Adapter parameters stored after each task by each method (mean over its runs), against the parameters of
/// independent experts (one LoRA per task) as each method records them. Nil when no run records parameters.
func parameterGrowthSVG(benchmark: String, groups: [ReportGroup], showModel: Bool) -> String? {
    let series = groups.compactMap { g in g.meanStoredAfterTask.map { (group: g, stored: $0) } }
    guard !series.isEmpty else { return nil }
    // Independent-expert lines: one per distinct sequence, named after the methods that record it (each method once:
    // the same method on f32 and bf16 weights stores the same parameters), coloured as the first of their series.
    var independent: [(values: [Int], methods: [String], firstSeries: String)] = []
    for (g, _) in series {
        guard let values = g.independentEquivalent else { continue }
        if let i = independent.firstIndex(where: { $0.values == values }) {
            if !independent[i].methods.contains(g.method) { independent[i].methods.append(g.method) }
        } else {
            independent.append((values, [g.method], seriesName(g, showModel: showModel)))
        }
    }
    let t = series.map(\.stored.count).max()!
    let maximum = (series.flatMap(\.stored) + independent.flatMap { $0.values.map(Double.init) }).max()!
    let yTicks = niceTicks(maximum: maximum)
    let plotW = max(360, 56 * Double(t)), plotH = 260.0

    // One independent line: grey. Several (methods record different ranks): each dashed in its first method's colour.
    let colourOf = Dictionary(
        series.enumerated().map { (seriesName($1.group, showModel: showModel), SVGStyle.colour($0)) },
        uniquingKeysWith: { first, _ in first })
    func independentColour(_ line: (values: [Int], methods: [String], firstSeries: String)) -> String {
        independent.count > 1 ? colourOf[line.firstSeries]! : SVGStyle.axis
    }
    var entries = series.enumerated().map { i, s -> LegendEntry in
        var label = "\(seriesName(s.group, showModel: showModel)): \(formatCount(s.stored.last!)) "
            + "after task \(s.stored.count)"
        if let ratio = s.group.parameterRatio { label += String(format: " (%.0f%% of independent)", 100 * ratio.mean) }
        return LegendEntry(label: label, colour: SVGStyle.colour(i), shape: i)
    }
    entries += independent.map { line in
        LegendEntry(label: "independent experts"
                        + (independent.count > 1 ? " (rank of \(line.methods.joined(separator: ", ")))" : ""),
                    colour: independentColour(line), dash: "7 5", marker: false)
    }
    let title = "Stored adapter parameters: \(benchmark)"
    let subtitle = "after each task; dashed: independent experts (one LoRA per task at the rank the method records)"
        + (series.contains { $0.group.runs.count > 1 } ? " · mean over seeds" : "")
    let area = PlotArea(x: 16 + 18 + 44, y: 74, width: plotW, height: plotH, xRange: 0.6...(Double(t) + 0.4),
                        yRange: 0...yTicks.last!)
    let legendX = area.x + plotW + 24
    let width = max(legendX + legendWidth(entries, title: "method") + 16, textWidth(title, size: 16) + 32,
                    textWidth(subtitle, size: 12) + 32)
    let height = max(area.y + plotH + 48, area.y + 22 + 20 * Double(entries.count) + 12)
    var svg = SVGCanvas(width: width, height: height)
    svg.add(svgText(title, x: 16, y: 28, size: 16, weight: "bold"))
    svg.add(svgText(subtitle, x: 16, y: 48, size: 12, fill: SVGStyle.muted))
    area.drawAxes(on: &svg, xTicks: (1...t).map { (Double($0), "\($0)") }, yTicks: yTicks.map { ($0, formatTick($0)) },
                  xTitle: "after task", yTitle: "parameters")
    for (i, s) in series.enumerated() {
        let points = s.stored.enumerated().map { (area.px(Double($0 + 1)), area.py($1)) }
        svg.add(svgPolyline(points, stroke: SVGStyle.colour(i), width: 2.5))
        for (x, y) in points { svg.add(marker(i, x, y, size: 4, fill: SVGStyle.colour(i))) }
    }
    // Dashed lines on top: a method that stores as much as independent experts must not hide them.
    for line in independent {
        svg.add(svgPolyline(line.values.enumerated().map { (area.px(Double($0 + 1)), area.py(Double($1))) },
                            stroke: independentColour(line), width: 2, dash: "7 5"))
    }
    drawLegend(entries, title: "method", x: legendX, y: area.y, on: &svg)
    return svg.document(title: title)
}
