#include "report/canvas.hpp"

#include <fmt/format.h>

#include <cmath>

#include "vaednn/atomic_file.hpp"
#include "vaednn/error.hpp"

namespace vaednn::report {

Canvas::Canvas(int width, int height)
    : surface(cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height)),
      cr(cairo_create(surface.get())) {
    cairo_set_source_rgb(cr.get(), 1, 1, 1);
    cairo_paint(cr.get());
    cairo_set_source_rgb(cr.get(), 0, 0, 0);
    cairo_select_font_face(cr.get(), "sans-serif", CAIRO_FONT_SLANT_NORMAL,
                           CAIRO_FONT_WEIGHT_NORMAL);
}

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

void draw_text(cairo_t* cr, double x, double y, const std::string& text, double align_x) {
    cairo_text_extents_t extents;
    cairo_text_extents(cr, text.c_str(), &extents);
    cairo_move_to(cr, x - align_x * extents.width, y);
    cairo_show_text(cr, text.c_str());
}

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

Rgb class_colour(unsigned label) {
    static constexpr Rgb kTab10[] = {
        {0.122, 0.467, 0.706}, {1.000, 0.498, 0.055}, {0.173, 0.627, 0.173}, {0.839, 0.153, 0.157},
        {0.580, 0.404, 0.741}, {0.549, 0.337, 0.294}, {0.890, 0.467, 0.761}, {0.498, 0.498, 0.498},
        {0.737, 0.741, 0.133}, {0.090, 0.745, 0.812}};
    return kTab10[label % 10];
}

}  // namespace vaednn::report
