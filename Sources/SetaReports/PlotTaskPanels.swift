// Each task's accuracy across a long stream: one small panel per task, one line per method. With 15 tasks, one
// panel per method holding 15 lines is unreadable; here each panel holds as many lines as there are methods, and
// methods compare task by task. Short streams keep the per-method panels of PlotCharts.swift.
import Foundation
import SetaMetrics

/// Streams longer than this get one panel per task.
let taskPanelThreshold = 6

/// Splits the points of a curve (x = stage, ascending) where a stage is missing (a cell `--eval-tasks seen` did not
/// measure), so a line never joins two measurements across stages nobody measured.
func consecutiveRuns(_ points: [(x: Double, y: Double)]) -> [[(x: Double, y: Double)]] {
    var runs: [[(x: Double, y: Double)]] = []
    for p in points {
        if let last = runs.last?.last, p.x == last.x + 1 { runs[runs.count - 1].append(p) } else { runs.append([p]) }
    }
    return runs
}

/// One panel per task (x: after task k, 0 = zero-shot; y: score 0–100), one line per sequential method (the mean
/// over its runs): dashed before the task is trained, solid from the stage before it on, a ring where it was just
/// trained, a grey band at that stage. Isolated measurements (no neighbour measured) are small dots.
func taskPanelsSVG(benchmark: String, groups sequential: [ReportGroup], showModel: Bool) -> String {
    let tasks = sequential[0].tasks, t = tasks.count
    let hasZeroShot = sequential.contains { $0.meanZeroShot != nil }
    let xStart = hasZeroShot ? 0.0 : 1.0
    let columns = 5, rows = (t + columns - 1) / columns
    let plotW = 150.0, plotH = 92.0, labelSize = 11.0
    let bandColour = "#ececec"
    let panelW = 34 + plotW + 18, panelH = 24 + plotH + 30

    let entries = sequential.enumerated().map { i, g in
        LegendEntry(label: seriesName(g, showModel: showModel) + (g.runs.count > 1 ? " (\(g.runs.count) runs)" : ""),
                    colour: SVGStyle.colour(i), shape: i)
    }
    let key = taskLineKey
    let legendW = max(legendWidth(entries, title: "method"), legendWidth(key, title: "line"))
    let legendH = 22 + 20 * Double(entries.count) + 14 + 22 + 40

    let title = "Accuracy on each task across the stream: \(benchmark)"
    let subtitle = "one panel per task · x: after task k" + (hasZeroShot ? " (0 = zero-shot)" : "")
        + " · y: score 0–100 · grey band: where the task is trained"
        + (sequential.contains { $0.runs.count > 1 } ? " · mean over seeds" : "")
    let top = 66.0, left = 16.0
    let legendX = left + Double(columns) * panelW + 16
    let width = max(legendX + legendW + 16, textWidth(title, size: 16) + 32, textWidth(subtitle, size: 12) + 32)
    let height = top + max(Double(rows) * panelH, legendH + 24) + 12
    var svg = SVGCanvas(width: width, height: height)
    svg.add(svgText(title, x: left, y: 28, size: 16, weight: "bold"))
    svg.add(svgText(subtitle, x: left, y: 48, size: 12, fill: SVGStyle.muted))

    let tickStep = t > 10 ? 5.0 : 2.0
    let xTicks = stride(from: xStart, through: Double(t), by: 1)
        .filter { $0 == 0 || $0.truncatingRemainder(dividingBy: tickStep) == 0 }
    for j in 0..<t {
        let panelX = left + Double(j % columns) * panelW, panelY = top + Double(j / columns) * panelH
        let area = PlotArea(x: panelX + 34, y: panelY + 24, width: plotW, height: plotH,
                            xRange: (xStart - 0.5)...(Double(t) + 0.5), yRange: 0...100)
        let trained = Double(j + 1)
        svg.add(#"<rect x="\#(fmt(area.px(trained - 0.5)))" y="\#(fmt(area.y))" "#
                + #"width="\#(fmt(area.px(1) - area.px(0)))" height="\#(fmt(plotH))" fill="\#(bandColour)"/>"#)
        svg.add(svgText("\(j + 1) \(shortName(tasks[j], limit: 22))", x: area.x, y: panelY + 14, size: labelSize,
                        weight: "bold"))
        area.drawAxes(on: &svg, xTicks: xTicks.map { ($0, fmt($0)) }, yTicks: [0.0, 50, 100].map { ($0, fmt($0)) },
                      xTitle: j / columns == rows - 1 ? "after task" : "", yTitle: nil)
        for (i, g) in sequential.enumerated() {
            let points = stageScores(g, task: j)
            let colour = SVGStyle.colour(i)
            let before = points.filter { $0.x <= trained - 1 }, after = points.filter { $0.x >= trained - 1 }
            for run in consecutiveRuns(before) {
                if run.count > 1 {
                    svg.add(svgPolyline(run.map { (area.px($0.x), area.py($0.y)) }, stroke: colour, width: 1.5,
                                        dash: "5 4", opacity: 0.7, className: "task-line"))
                } else if run[0].x < trained - 1 {   // the stage before training starts the solid line
                    svg.add(#"<circle class="transfer-point" cx="\#(fmt(area.px(run[0].x)))" "#
                            + #"cy="\#(fmt(area.py(run[0].y)))" r="2" fill="\#(colour)" fill-opacity="0.7"/>"#)
                }
            }
            for run in consecutiveRuns(after) where run.count > 1 {
                svg.add(svgPolyline(run.map { (area.px($0.x), area.py($0.y)) }, stroke: colour, width: 1.8,
                                    className: "task-line"))
            }
            if let point = after.first(where: { $0.x == trained }) {
                svg.add(marker(i, area.px(point.x), area.py(point.y), size: 4, fill: colour, stroke: "white"))
            }
        }
    }
    let used = drawLegend(entries, title: "method", x: legendX, y: top + 24, on: &svg)
    drawLegend(key, title: "line", x: legendX, y: top + 24 + used + 14, on: &svg)
    return svg.document(title: title)
}
