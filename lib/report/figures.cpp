#include "vaednn/figures.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <numbers>
#include <string>

#include "report/canvas.hpp"
#include "vaednn/error.hpp"

namespace vaednn {
namespace {

using report::Canvas;
using report::draw_text;
using report::nice_ticks;
using report::save_png;
using report::Surface;

struct Panel {
    double x, y, width, height;  // the plotting area, in pixels
    double x_min, x_max, y_min, y_max;
    double px(double v) const { return x + (v - x_min) / (x_max - x_min) * width; }
    double py(double v) const { return y + height - (v - y_min) / (y_max - y_min) * height; }
};

void draw_panel(cairo_t* cr, const Panel& p, const std::string& title,
                std::span<const CurvePoint> points, double CurvePoint::*train,
                double CurvePoint::*test) {
    cairo_set_source_rgb(cr, 0.0, 0.0, 0.0);
    cairo_set_line_width(cr, 1.0);
    cairo_rectangle(cr, p.x, p.y, p.width, p.height);
    cairo_stroke(cr);
    cairo_set_font_size(cr, 12.0);
    for (double t : nice_ticks(p.y_min, p.y_max, 5)) {
        cairo_move_to(cr, p.x - 4, p.py(t));
        cairo_line_to(cr, p.x, p.py(t));
        cairo_stroke(cr);
        draw_text(cr, p.x - 7, p.py(t) + 4, fmt::format("{:g}", t), 1.0);
    }
    // Epochs are whole: a whole step that gives at most about 10 ticks.
    const double epoch_step = std::max(1.0, std::ceil((p.x_max - p.x_min) / 10.0));
    for (double t = p.x_min; t <= p.x_max + 1e-9; t += epoch_step) {
        cairo_move_to(cr, p.px(t), p.y + p.height);
        cairo_line_to(cr, p.px(t), p.y + p.height + 4);
        cairo_stroke(cr);
        draw_text(cr, p.px(t), p.y + p.height + 17, fmt::format("{:g}", t), 0.5);
    }
    draw_text(cr, p.x + p.width / 2, p.y + p.height + 34, "epoch", 0.5);
    cairo_set_font_size(cr, 14.0);
    draw_text(cr, p.x + p.width / 2, p.y - 10, title, 0.5);

    const struct {
        double CurvePoint::*field;
        double r, g, b;
        const char* label;
    } series[] = {{train, 0.12, 0.47, 0.71, "train"}, {test, 0.84, 0.15, 0.16, "test"}};
    cairo_set_font_size(cr, 12.0);
    for (std::size_t s = 0; s < 2; ++s) {
        cairo_set_source_rgb(cr, series[s].r, series[s].g, series[s].b);
        cairo_set_line_width(cr, 2.0);
        for (std::size_t i = 0; i < points.size(); ++i) {
            const double vx = p.px(points[i].epoch), vy = p.py(points[i].*series[s].field);
            i == 0 ? cairo_move_to(cr, vx, vy) : cairo_line_to(cr, vx, vy);
        }
        cairo_stroke(cr);
        for (const CurvePoint& point : points) {
            cairo_arc(cr, p.px(point.epoch), p.py(point.*series[s].field), 3.0, 0,
                      2 * std::numbers::pi);
            cairo_fill(cr);
        }
        const double ly = p.y + 16 + 16.0 * static_cast<double>(s);
        cairo_move_to(cr, p.x + p.width - 80, ly - 4);
        cairo_line_to(cr, p.x + p.width - 60, ly - 4);
        cairo_stroke(cr);
        cairo_set_source_rgb(cr, 0, 0, 0);
        draw_text(cr, p.x + p.width - 54, ly, series[s].label, 0.0);
    }
}

}  // namespace

void write_image_grid(const std::filesystem::path& file, std::span<const float> images,
                      std::size_t count, std::size_t rows, std::size_t cols, std::size_t columns,
                      int scale) {
    if (count == 0 || columns == 0 || scale < 1 || images.size() < count * rows * cols) {
        throw Error(
            fmt::format("{}: an image grid needs images, columns and a scale", file.string()));
    }
    const std::size_t gap = 2, s = static_cast<std::size_t>(scale);
    const std::size_t grid_rows = (count + columns - 1) / columns;
    const int width = static_cast<int>(columns * (cols * s + gap) + gap);
    const int height = static_cast<int>(grid_rows * (rows * s + gap) + gap);
    Surface surface(cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height));
    cairo_surface_flush(surface.get());
    unsigned char* data = cairo_image_surface_get_data(surface.get());
    const auto stride = static_cast<std::size_t>(cairo_image_surface_get_stride(surface.get()));
    std::fill(data, data + stride * static_cast<std::size_t>(height), 0x60);  // grey gaps
    for (std::size_t i = 0; i < count; ++i) {
        const std::size_t ox = gap + (i % columns) * (cols * s + gap);
        const std::size_t oy = gap + (i / columns) * (rows * s + gap);
        for (std::size_t y = 0; y < rows * s; ++y) {
            auto* row = reinterpret_cast<std::uint32_t*>(data + (oy + y) * stride) + ox;
            for (std::size_t x = 0; x < cols * s; ++x) {
                const float v = std::clamp(images[(i * rows + y / s) * cols + x / s], 0.0f, 1.0f);
                const auto g = static_cast<std::uint32_t>(std::lround(v * 255.0f));
                row[x] = (g << 16) | (g << 8) | g;
            }
        }
    }
    cairo_surface_mark_dirty(surface.get());
    save_png(surface.get(), file);
}

void write_reconstructions(const std::filesystem::path& file, std::span<const float> originals,
                           std::span<const float> reconstructions, std::size_t count,
                           std::size_t rows, std::size_t cols,
                           std::span<const std::string> captions, int scale) {
    const std::size_t pixels = rows * cols;
    if (count == 0 || scale < 1 || originals.size() < count * pixels ||
        reconstructions.size() < count * pixels || captions.size() != count) {
        throw Error(fmt::format(
            "{}: reconstructions need images, as many reconstructions and one caption each",
            file.string()));
    }
    const double s = scale, gap = 4, left = 110, top = 26;
    const double cell_w = static_cast<double>(cols) * s + gap,
                 cell_h = static_cast<double>(rows) * s;
    Canvas canvas(static_cast<int>(left + static_cast<double>(count) * cell_w + gap),
                  static_cast<int>(top + 2 * (cell_h + gap) + gap));
    cairo_t* cr = canvas.cr.get();
    cairo_set_font_size(cr, 13.0);
    const std::span<const float> sets[] = {originals, reconstructions};
    const char* names[] = {"input", "reconstruction"};
    for (std::size_t r = 0; r < 2; ++r) {
        const double y = top + static_cast<double>(r) * (cell_h + gap);
        draw_text(cr, left - 8, y + cell_h / 2 + 4, names[r], 1.0);
        for (std::size_t i = 0; i < count; ++i) {
            // One pixel at a time as a filled square: a figure of a few dozen digits.
            const double x = left + static_cast<double>(i) * cell_w;
            for (std::size_t py = 0; py < rows; ++py) {
                for (std::size_t px = 0; px < cols; ++px) {
                    const double v = std::clamp(sets[r][i * pixels + py * cols + px], 0.0f, 1.0f);
                    cairo_set_source_rgb(cr, v, v, v);
                    cairo_rectangle(cr, x + static_cast<double>(px) * s,
                                    y + static_cast<double>(py) * s, s, s);
                    cairo_fill(cr);
                }
            }
        }
    }
    cairo_set_source_rgb(cr, 0, 0, 0);
    for (std::size_t i = 0; i < count; ++i) {
        draw_text(cr, left + static_cast<double>(i) * cell_w + static_cast<double>(cols) * s / 2,
                  top - 8, captions[i], 0.5);
    }
    save_png(canvas.surface.get(), file);
}

void write_loss_curves(const std::filesystem::path& file, std::span<const CurvePoint> points) {
    if (points.empty()) throw Error(fmt::format("{}: no epochs to plot", file.string()));
    Canvas canvas(1000, 420);
    cairo_t* cr = canvas.cr.get();

    auto range = [&](double CurvePoint::*a, double CurvePoint::*b) {
        double low = points[0].*a, high = low;
        for (const CurvePoint& p : points) {
            low = std::min({low, p.*a, p.*b});
            high = std::max({high, p.*a, p.*b});
        }
        const double pad = std::max(1e-3, (high - low) * 0.08);
        return std::pair{low - pad, high + pad};
    };
    const double x_min = points.front().epoch,
                 x_max = std::max(points.back().epoch, points.front().epoch + 1);
    const auto [loss_low, loss_high] = range(&CurvePoint::train_loss, &CurvePoint::test_loss);
    const auto [kl_low, kl_high] = range(&CurvePoint::train_kl, &CurvePoint::test_kl);
    draw_panel(cr, {70, 40, 390, 320, x_min, x_max, loss_low, loss_high},
               "negative ELBO (nats per image)", points, &CurvePoint::train_loss,
               &CurvePoint::test_loss);
    draw_panel(cr, {580, 40, 390, 320, x_min, x_max, kl_low, kl_high}, "KL term (nats per image)",
               points, &CurvePoint::train_kl, &CurvePoint::test_kl);
    save_png(canvas.surface.get(), file);
}

}  // namespace vaednn
