// The report's SVG plots: per group the accuracy matrix as a heatmap; per benchmark each task's accuracy across
// the stream (PlotCharts.swift) and stored parameters against independent experts. Pure string building.
import Foundation
import SetaMetrics

/// One plot: a file name (no folder) and the SVG text.
public struct PlotFile: Equatable, Sendable {
    public var name: String
    public var svg: String
}

extension ComparisonReport {
    /// Every plot of the report: `heatmap-<benchmark>-<method>.svg` per group (with `-<model>` when the runs used
    /// several models), `tasks-<benchmark>.svg` per benchmark with a sequential run, `params-<benchmark>.svg` per
    /// benchmark whose runs record parameter counts.
    public func plots() -> [PlotFile] {
        var files: [PlotFile] = []
        for (benchmark, groups) in benchmarks {
            for g in groups {
                let name = "heatmap-\(slug(benchmark))-\(slug(g.method))"
                    + (hasSeveralModels ? "-\(slug(g.model))" : "")
                files.append(PlotFile(name: name + ".svg", svg: heatmapSVG(g)))
            }
            if let svg = taskCurvesSVG(benchmark: benchmark, groups: groups, showModel: hasSeveralModels) {
                files.append(PlotFile(name: "tasks-\(slug(benchmark)).svg", svg: svg))
            }
            if let svg = parameterGrowthSVG(benchmark: benchmark, groups: groups, showModel: hasSeveralModels) {
                files.append(PlotFile(name: "params-\(slug(benchmark)).svg", svg: svg))
            }
        }
        return files
    }
}

/// "seta", or "seta (default)" when several models are compared.
func seriesName(_ g: ReportGroup, showModel: Bool) -> String { showModel ? "\(g.method) (\(g.model))" : g.method }

/// "seed 0" / "mean of 3 runs (seeds 0, 1, 2)".
func runsPhrase(_ g: ReportGroup) -> String {
    let seeds = g.seeds.map(String.init).joined(separator: ", ")
    return g.runs.count == 1 ? "seed \(seeds)" : "mean of \(g.runs.count) runs (seeds \(seeds))"
}

/// "1 dbpedia": a task's number in the stream and its name, cut to 16 characters.
func taskLabel(_ tasks: [String], _ j: Int) -> String { "\(j + 1) \(shortName(tasks[j], limit: 16))" }

/// The accuracy matrix of a group (the mean over its runs) as a heatmap: one row per training stage ("after
/// task"), one column per evaluated task, the zero-shot row above them, each cell coloured on a 0–100 viridis
/// scale and holding its value; a colour bar on the right.
func heatmapSVG(_ g: ReportGroup) -> String {
    let matrix = g.meanMatrix, zeroShot = g.meanZeroShot, t = g.tasks.count
    let allValues = (matrix.flatMap { $0 } + (zeroShot ?? [])).filter { !$0.isNaN }   // NaN: not measured
    let integral = allValues.allSatisfy { $0 == $0.rounded() }
    func value(_ x: Double) -> String {
        x.isNaN ? "not measured" : integral ? String(format: "%.0f", x) : formatScore(x)
    }

    let cellW = 58.0, cellH = 34.0, labelSize = 12.0
    let rowLabels = matrix.count == t ? (0..<t).map { taskLabel(g.tasks, $0) } : ["multi-task"]
    let columnLabels = (0..<t).map { taskLabel(g.tasks, $0) }
    let rowLabelWidth = (rowLabels + (zeroShot == nil ? [] : ["zero-shot"]))
        .map { textWidth($0, size: labelSize) }.max()!
    let columnLabelWidth = columnLabels.map { textWidth($0, size: labelSize) }.max()!
    let rotate = columnLabelWidth > cellW - 8
    let angle = 40.0
    let columnLabelHeight = rotate ? columnLabelWidth * sin(angle * .pi / 180) + labelSize : labelSize

    let title = "Accuracy matrix: \(g.method) on \(g.benchmark)"
    let subtitle = "\(runsPhrase(g)) · model \(g.model) · score 0–100 on each task after each training stage"
    let left = 16 + 18 + rowLabelWidth + 10
    let gridTop = 74.0
    let zeroShotHeight = zeroShot == nil ? 0 : cellH + 10
    let gridLeft = left, gridW = Double(t) * cellW
    let matrixTop = gridTop + zeroShotHeight
    let gridBottom = matrixTop + Double(matrix.count) * cellH
    let barX = gridLeft + gridW + 28, barW = 14.0
    let barTop = gridTop, barH = max(gridBottom - gridTop, 120)
    let contentRight = barX + barW + 40
    let bottom = max(gridBottom, barTop + barH) + 12 + columnLabelHeight + 34
    let width = max(contentRight + 16, textWidth(title, size: 16) + 32, textWidth(subtitle, size: 12) + 32)

    var svg = SVGCanvas(width: width, height: bottom)
    svg.add(svgText(title, x: 16, y: 28, size: 16, weight: "bold"))
    svg.add(svgText(subtitle, x: 16, y: 48, size: 12, fill: SVGStyle.muted))

    func cell(_ x: Double, _ y: Double, _ score: Double, className: String, tooltip: String) {
        let measured = !score.isNaN   // not measured (`--eval-tasks seen`): an empty light-grey cell
        let colour = measured ? viridis(score / 100) : "#f3f3f3"
        svg.add(#"<rect class="\#(className)\#(measured ? "" : " unmeasured")" x="\#(fmt(x))" y="\#(fmt(y))" "#
                + #"width="\#(fmt(cellW))" height="\#(fmt(cellH))" fill="\#(colour)" stroke="white" stroke-width="1">"#
                + "<title>\(xmlEscape(tooltip))</title></rect>")
        guard measured else { return }
        svg.add(svgText(value(score), x: x + cellW / 2, y: y + cellH / 2 + 4, size: 12, anchor: "middle",
                        fill: isDark(colour) ? "#ffffff" : "#111111", className: "value"))
    }
    if let zeroShot {
        svg.add(svgText("zero-shot", x: gridLeft - 8, y: gridTop + cellH / 2 + 4, size: labelSize, anchor: "end"))
        for (j, score) in zeroShot.enumerated() {
            cell(gridLeft + Double(j) * cellW, gridTop, score, className: "zero-shot",
                 tooltip: "zero-shot, task \(columnLabels[j]): \(value(score))")
        }
    }
    for (i, row) in matrix.enumerated() {
        let y = matrixTop + Double(i) * cellH
        svg.add(svgText(rowLabels[i], x: gridLeft - 8, y: y + cellH / 2 + 4, size: labelSize, anchor: "end"))
        for (j, score) in row.enumerated() {
            cell(gridLeft + Double(j) * cellW, y, score, className: "cell",
                 tooltip: "after task \(rowLabels[i]), task \(columnLabels[j]): \(value(score))")
        }
    }
    // The diagonal (each task just after training on it) outlined.
    if matrix.count == t {
        for k in 0..<t {
            svg.add(#"<rect x="\#(fmt(gridLeft + Double(k) * cellW + 1))" "#
                    + #"y="\#(fmt(matrixTop + Double(k) * cellH + 1))" "#
                    + #"width="\#(fmt(cellW - 2))" height="\#(fmt(cellH - 2))" "#
                    + #"fill="none" stroke="white" stroke-width="2"/>"#)
        }
    }
    for (j, label) in columnLabels.enumerated() {
        let x = gridLeft + (Double(j) + 0.5) * cellW
        if rotate {
            svg.add(svgText(label, x: x + 4, y: gridBottom + 14, size: labelSize, anchor: "end", rotate: -angle))
        } else {
            svg.add(svgText(label, x: x, y: gridBottom + 18, size: labelSize, anchor: "middle"))
        }
    }
    let axisY = gridBottom + 12 + columnLabelHeight + 22
    svg.add(svgText("task", x: gridLeft + gridW / 2, y: axisY, size: 13, anchor: "middle", weight: "bold"))
    let axisX = 22.0, middle = (matrixTop + gridBottom) / 2
    svg.add(svgText(matrix.count == t ? "after task" : "trained on", x: axisX, y: middle, size: 13, anchor: "middle",
                    weight: "bold", rotate: -90))

    // Colour bar: 0 at the bottom, 100 at the top.
    svg.define(#"<linearGradient id="viridis" x1="0" y1="1" x2="0" y2="0">"#
               + stride(from: 0.0, through: 1.0, by: 0.125).map {
                   #"<stop offset="\#(fmt($0))" stop-color="\#(viridis($0))"/>"#
               }.joined() + "</linearGradient>")
    svg.add(#"<rect x="\#(fmt(barX))" y="\#(fmt(barTop))" width="\#(fmt(barW))" height="\#(fmt(barH))" "#
            + #"fill="url(#viridis)" stroke="\#(SVGStyle.axis)" stroke-width="0.5"/>"#)
    for tick in stride(from: 0.0, through: 100, by: 25) {
        let y = barTop + barH * (1 - tick / 100)
        svg.add(svgLine(barX + barW, y, barX + barW + 4, y, stroke: SVGStyle.axis))
        svg.add(svgText(fmt(tick), x: barX + barW + 7, y: y + 4, size: 11, fill: SVGStyle.muted))
    }
    svg.add(svgText("score", x: barX + barW / 2, y: barTop - 8, size: 11, anchor: "middle", fill: SVGStyle.muted))
    return svg.document(title: title)
}
