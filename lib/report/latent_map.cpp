#include "vaednn/latent_map.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>

#include "report/canvas.hpp"
#include "vaednn/error.hpp"
#include "vaednn/trainer.hpp"

namespace vaednn {
namespace {

using Matrix = std::vector<double>;  // row-major, latent x latent

// The unit eigenvector of the largest eigenvalue of symmetric `m`, by power iteration from a
// fixed start (so the result is reproducible), and that eigenvalue.
std::pair<std::vector<double>, double> leading_eigenvector(const Matrix& m, std::size_t n) {
    std::vector<double> v(n), next(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = 1.0 + 0.01 * static_cast<double>(i);
    double lambda = 0.0;
    for (int iteration = 0; iteration < 1000; ++iteration) {
        for (std::size_t i = 0; i < n; ++i) {
            double sum = 0.0;
            for (std::size_t j = 0; j < n; ++j) sum += m[i * n + j] * v[j];
            next[i] = sum;
        }
        double norm = 0.0;
        for (double x : next) norm += x * x;
        norm = std::sqrt(norm);
        if (norm == 0.0) break;  // no variance left
        double change = 0.0;
        for (std::size_t i = 0; i < n; ++i) {
            change = std::max(change, std::fabs(next[i] / norm - v[i]));
            v[i] = next[i] / norm;
        }
        lambda = norm;
        if (change < 1e-12) break;
    }
    // The sign of an eigenvector is arbitrary: make its largest component positive.
    const auto largest = std::max_element(
        v.begin(), v.end(), [](double a, double b) { return std::fabs(a) < std::fabs(b); });
    if (*largest < 0) {
        for (double& x : v) x = -x;
    }
    return {v, lambda};
}

// The standard normal's quantile function (Acklam's rational approximation, |error| < 1.2e-9),
// for the manifold grid.
double normal_quantile(double p) {
    static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                                   -2.759285104469687e+02, 1.383577518672690e+02,
                                   -3.066479806614716e+01, 2.506628277459239e+00};
    static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                                   -1.556989798598866e+02, 6.680131188771972e+01,
                                   -1.328068155288572e+01};
    static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                                   -2.400758277161838e+00, -2.549732539343734e+00,
                                   4.374664141464968e+00,  2.938163982698783e+00};
    static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                                   2.445134137142996e+00, 3.754408661907416e+00};
    const auto tail = [&](double q) {
        return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
               ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    };
    if (p < 0.02425) return tail(std::sqrt(-2 * std::log(p)));
    if (p > 1 - 0.02425) return -tail(std::sqrt(-2 * std::log(1 - p)));
    const double q = p - 0.5, r = q * q;
    return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
           (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

}  // namespace

std::vector<float> encode_means(Vae& vae, const ImageSet& set, std::size_t batch) {
    const std::size_t latent = static_cast<std::size_t>(vae.config().latent);
    const std::size_t pixels = set.pixels_per_image();
    std::vector<float> means(set.count * latent), images(batch * pixels), logvar(batch * latent);
    std::vector<std::uint32_t> indices;
    for (std::size_t first = 0; first < set.count; first += batch) {
        const std::size_t n = std::min(batch, set.count - first);
        indices.resize(n);
        for (std::size_t i = 0; i < n; ++i) indices[i] = static_cast<std::uint32_t>(first + i);
        const std::span<float> x(images.data(), n * pixels);
        gather_batch(set, indices, x);
        vae.encode(x, std::span<float>(means.data() + first * latent, n * latent),
                   std::span<float>(logvar.data(), n * latent));
    }
    return means;
}

LatentPlane principal_plane(std::span<const float> means, std::size_t latent) {
    if (latent < 2) throw ConfigError("a latent map needs a latent space of 2 dimensions or more");
    const std::size_t count = means.size() / latent;
    if (count < 2) throw ConfigError("a latent map needs two points or more");
    LatentPlane plane;
    plane.latent = latent;
    plane.principal = latent > 2;
    std::vector<double> mean(latent, 0.0);
    for (std::size_t i = 0; i < count; ++i) {
        for (std::size_t k = 0; k < latent; ++k)
            mean[k] += static_cast<double>(means[i * latent + k]);
    }
    for (double& m : mean) m /= static_cast<double>(count);
    Matrix covariance(latent * latent, 0.0);
    for (std::size_t i = 0; i < count; ++i) {
        for (std::size_t a = 0; a < latent; ++a) {
            const double da = static_cast<double>(means[i * latent + a]) - mean[a];
            for (std::size_t b = 0; b < latent; ++b) {
                covariance[a * latent + b] +=
                    da * (static_cast<double>(means[i * latent + b]) - mean[b]);
            }
        }
    }
    double total = 0.0;
    for (double& x : covariance) x /= static_cast<double>(count - 1);
    for (std::size_t k = 0; k < latent; ++k) total += covariance[k * latent + k];

    for (std::size_t axis = 0; axis < 2; ++axis) {
        std::vector<double> v(latent, 0.0);
        double variance = 0.0;
        if (plane.principal) {
            std::tie(v, variance) = leading_eigenvector(covariance, latent);
            // Deflate: the next power iteration finds the next component.
            for (std::size_t a = 0; a < latent; ++a) {
                for (std::size_t b = 0; b < latent; ++b) {
                    covariance[a * latent + b] -= variance * v[a] * v[b];
                }
            }
        } else {
            v[axis] = 1.0;
            variance = covariance[axis * latent + axis];
        }
        plane.axes[axis] = v;
        plane.spread[axis] = std::sqrt(std::max(variance, 0.0));
        plane.explained[axis] = total > 0.0 ? variance / total : 0.0;
    }
    plane.origin.assign(latent, 0.0);
    if (plane.principal) plane.origin = mean;
    return plane;
}

std::vector<float> project(std::span<const float> means, const LatentPlane& plane) {
    const std::size_t latent = plane.latent, count = means.size() / latent;
    std::vector<float> points(2 * count);
    for (std::size_t i = 0; i < count; ++i) {
        for (std::size_t axis = 0; axis < 2; ++axis) {
            double sum = 0.0;
            for (std::size_t k = 0; k < latent; ++k) {
                sum += (static_cast<double>(means[i * latent + k]) - plane.origin[k]) *
                       plane.axes[axis][k];
            }
            points[2 * i + axis] = static_cast<float>(sum);
        }
    }
    return points;
}

std::vector<float> plane_grid(const LatentPlane& plane, std::size_t side) {
    std::vector<float> z(side * side * plane.latent);
    for (std::size_t row = 0; row < side; ++row) {
        // Top row first: the largest b.
        const double b = normal_quantile((static_cast<double>(side - 1 - row) + 0.5) /
                                         static_cast<double>(side)) *
                         plane.spread[1];
        for (std::size_t col = 0; col < side; ++col) {
            const double a =
                normal_quantile((static_cast<double>(col) + 0.5) / static_cast<double>(side)) *
                plane.spread[0];
            float* point = z.data() + (row * side + col) * plane.latent;
            for (std::size_t k = 0; k < plane.latent; ++k) {
                point[k] = static_cast<float>(plane.origin[k] + a * plane.axes[0][k] +
                                              b * plane.axes[1][k]);
            }
        }
    }
    return z;
}

void write_latent_map(const std::filesystem::path& file, std::span<const float> means,
                      std::span<const std::uint8_t> labels, const LatentPlane& plane) {
    const std::vector<float> points = project(means, plane);
    const std::size_t count = points.size() / 2;
    if (count == 0 || labels.size() != count) {
        throw Error(fmt::format("{}: a latent map needs points and one label each", file.string()));
    }
    double x_min = points[0], x_max = x_min, y_min = points[1], y_max = y_min;
    for (std::size_t i = 0; i < count; ++i) {
        const double x = points[2 * i], y = points[2 * i + 1];
        x_min = std::min(x_min, x), x_max = std::max(x_max, x);
        y_min = std::min(y_min, y), y_max = std::max(y_max, y);
    }
    const double pad_x = std::max(1e-3, 0.05 * (x_max - x_min)),
                 pad_y = std::max(1e-3, 0.05 * (y_max - y_min));
    const double left = 70, top = 40, width = 560, height = 560;
    const auto px = [&](double v) {
        return left + (v - x_min + pad_x) / (x_max - x_min + 2 * pad_x) * width;
    };
    const auto py = [&](double v) {
        return top + height - (v - y_min + pad_y) / (y_max - y_min + 2 * pad_y) * height;
    };
    report::Canvas canvas(static_cast<int>(left + width + 110),
                          static_cast<int>(top + height + 60));
    cairo_t* cr = canvas.cr.get();
    // Points first, translucent, so dense clusters show their density.
    for (std::size_t i = 0; i < count; ++i) {
        const report::Rgb c = report::class_colour(labels[i]);
        cairo_set_source_rgba(cr, c.r, c.g, c.b, 0.45);
        cairo_arc(cr, px(static_cast<double>(points[2 * i])),
                  py(static_cast<double>(points[2 * i + 1])), 1.8, 0, 2 * std::numbers::pi);
        cairo_fill(cr);
    }
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_line_width(cr, 1.0);
    cairo_rectangle(cr, left, top, width, height);
    cairo_stroke(cr);
    cairo_set_font_size(cr, 12.0);
    for (double t : report::nice_ticks(x_min - pad_x, x_max + pad_x, 6)) {
        report::draw_text(cr, px(t), top + height + 16, fmt::format("{:g}", t), 0.5);
    }
    for (double t : report::nice_ticks(y_min - pad_y, y_max + pad_y, 6)) {
        report::draw_text(cr, left - 6, py(t) + 4, fmt::format("{:g}", t), 1.0);
    }
    const auto axis_name = [&](std::size_t axis) {
        return plane.principal ? fmt::format("principal component {} ({:.0f}% of the variance)",
                                             axis + 1, 100 * plane.explained[axis])
                               : fmt::format("z{}", axis + 1);
    };
    report::draw_text(cr, left + width / 2, top + height + 38, axis_name(0), 0.5);
    cairo_save(cr);
    cairo_translate(cr, 22, top + height / 2);
    cairo_rotate(cr, -std::numbers::pi / 2);
    report::draw_text(cr, 0, 0, axis_name(1), 0.5);
    cairo_restore(cr);
    cairo_set_font_size(cr, 14.0);
    report::draw_text(cr, left + width / 2, top - 14,
                      fmt::format("posterior means of {} images, by label", count), 0.5);
    cairo_set_font_size(cr, 12.0);
    for (unsigned label = 0; label < 10; ++label) {
        const report::Rgb c = report::class_colour(label);
        const double y = top + 20 + 20.0 * label;
        cairo_set_source_rgb(cr, c.r, c.g, c.b);
        cairo_arc(cr, left + width + 24, y - 4, 5, 0, 2 * std::numbers::pi);
        cairo_fill(cr);
        cairo_set_source_rgb(cr, 0, 0, 0);
        report::draw_text(cr, left + width + 36, y, std::to_string(label), 0.0);
    }
    report::save_png(canvas.surface.get(), file);
}

}  // namespace vaednn
