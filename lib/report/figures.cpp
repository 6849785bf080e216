#include "vaednn/figures.hpp"

#include <cairo.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <numbers>
#include <string>

#include "vaednn/atomic_file.hpp"
#include "vaednn/error.hpp"

namespace vaednn {
namespace {

struct SurfaceDeleter {
    void operator()(cairo_surface_t* s) const { cairo_surface_destroy(s); }
};
struct ContextDeleter {
    void operator()(cairo_t* c) const { cairo_destroy(c); }
};
using Surface = std::unique_ptr<cairo_surface_t, SurfaceDeleter>;
using Context = std::unique_ptr<cairo_t, ContextDeleter>;

// Encodes in memory, then writes atomically like every other output of a run.
void save_png(cairo_surface_t* surface, const std::filesystem::path& file) {
    cairo_surface_flush(surface);
    std::string png;
    const cairo_status_t status = cairo_surface_write_to_png_stream(
        surface,
        [](void* closure, const unsigned char* data, unsigned int length) {
            static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
            return CAIRO_STATUS_SUCCESS;
        },
        &png);
    if (status != CAIRO_STATUS_SUCCESS) {
        throw IoError(file,
                      fmt::format("cannot encode the PNG ({})", cairo_status_to_string(status)));
    }
    write_file_atomically(file, png);
}

// Tick values 1, 2 or 5 times a power of ten that cover [low, high] in about `count` steps.
std::vector<double> nice_ticks(double low, double high, int count) {
    const double raw = (high - low) / count;
    const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
    double step = magnitude;
    for (double m : {1.0, 2.0, 5.0, 10.0}) {
        step = m * magnitude;
        if (step >= raw) break;
    }
    std::vector<double> ticks;
    for (double t = std::ceil(low / step) * step; t <= high + 1e-9 * step; t += step)
        ticks.push_back(t);
    return ticks;
}

struct Panel {
    double x, y, width, height;  // the plotting area, in pixels
    double x_min, x_max, y_min, y_max;
    double px(double v) const { return x + (v - x_min) / (x_max - x_min) * width; }
    double py(double v) const { return y + height - (v - y_min) / (y_max - y_min) * height; }
};

void draw_text(cairo_t* cr, double x, double y, const std::string& text, double align_x) {
    cairo_text_extents_t extents;
    cairo_text_extents(cr, text.c_str(), &extents);
    cairo_move_to(cr, x - align_x * extents.width, y);
    cairo_show_text(cr, text.c_str());
}

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

void write_loss_curves(const std::filesystem::path& file, std::span<const CurvePoint> points) {
    if (points.empty()) throw Error(fmt::format("{}: no epochs to plot", file.string()));
    constexpr int kWidth = 1000, kHeight = 420;
    Surface surface(cairo_image_surface_create(CAIRO_FORMAT_RGB24, kWidth, kHeight));
    Context cr(cairo_create(surface.get()));
    cairo_set_source_rgb(cr.get(), 1, 1, 1);
    cairo_paint(cr.get());
    cairo_select_font_face(cr.get(), "sans-serif", CAIRO_FONT_SLANT_NORMAL,
                           CAIRO_FONT_WEIGHT_NORMAL);

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
    draw_panel(cr.get(), {70, 40, 390, 320, x_min, x_max, loss_low, loss_high},
               "negative ELBO (nats per image)", points, &CurvePoint::train_loss,
               &CurvePoint::test_loss);
    draw_panel(cr.get(), {580, 40, 390, 320, x_min, x_max, kl_low, kl_high},
               "KL term (nats per image)", points, &CurvePoint::train_kl, &CurvePoint::test_kl);
    save_png(surface.get(), file);
}

}  // namespace vaednn
