// What every figure draws with: cairo surfaces and contexts that free themselves, text placed by
// its anchor, tick values, and the atomic PNG write every output of a run goes through.
#pragma once

#include <cairo.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace vaednn::report {

struct SurfaceDeleter {
    void operator()(cairo_surface_t* s) const { cairo_surface_destroy(s); }
};
struct ContextDeleter {
    void operator()(cairo_t* c) const { cairo_destroy(c); }
};
using Surface = std::unique_ptr<cairo_surface_t, SurfaceDeleter>;
using Context = std::unique_ptr<cairo_t, ContextDeleter>;

// A white RGB canvas with a context set to black sans-serif text.
struct Canvas {
    Surface surface;
    Context cr;
    Canvas(int width, int height);
};

// Encodes in memory, then writes atomically. Throws IoError.
void save_png(cairo_surface_t* surface, const std::filesystem::path& file);

// `text` with its baseline at y, starting at x minus align_x of its width (0 left, 0.5 centred,
// 1 right-aligned).
void draw_text(cairo_t* cr, double x, double y, const std::string& text, double align_x);

// Tick values 1, 2 or 5 times a power of ten that cover [low, high] in about `count` steps.
std::vector<double> nice_ticks(double low, double high, int count);

// Ten colours told apart easily (matplotlib's tab10), for the ten classes.
struct Rgb {
    double r, g, b;
};
Rgb class_colour(unsigned label);

}  // namespace vaednn::report
