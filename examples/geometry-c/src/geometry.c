#include "geometry.h"

#include <math.h>

double distance(point a, point b)
{
    return hypot(b.x - a.x, b.y - a.y);
}

/* Shoelace formula; the sign tells the winding, callers want the size. */
double polygon_area(const point *pts, size_t n)
{
    double twice = 0.0;
    if (n < 3) {
        return 0.0;
    }
    for (size_t i = 0; i < n; i++) {
        const point *p = &pts[i];
        const point *q = &pts[(i + 1) % n];
        twice += p->x * q->y - q->x * p->y;
    }
    return fabs(twice) / 2.0;
}

double polygon_perimeter(const point *pts, size_t n)
{
    double total = 0.0;
    if (n < 2) {
        return 0.0;
    }
    for (size_t i = 0; i < n; i++) {
        total += distance(pts[i], pts[(i + 1) % n]);
    }
    return total;
}

int bounding_box(const point *pts, size_t n, rect *out)
{
    if (n == 0 || out == NULL) {
        return -1;
    }
    out->min = pts[0];
    out->max = pts[0];
    for (size_t i = 1; i < n; i++) {
        if (pts[i].x < out->min.x) {
            out->min.x = pts[i].x;
        }
        if (pts[i].y < out->min.y) {
            out->min.y = pts[i].y;
        }
        if (pts[i].x > out->max.x) {
            out->max.x = pts[i].x;
        }
        if (pts[i].y > out->max.y) {
            out->max.y = pts[i].y;
        }
    }
    return 0;
}

int rect_contains(rect r, point p)
{
    return p.x >= r.min.x && p.x <= r.max.x && p.y >= r.min.y && p.y <= r.max.y;
}

/* Not tested yet: the clipping code that needs it is still on a branch. */
int rect_intersect(rect a, rect b, rect *out)
{
    rect r;
    r.min.x = fmax(a.min.x, b.min.x);
    r.min.y = fmax(a.min.y, b.min.y);
    r.max.x = fmin(a.max.x, b.max.x);
    r.max.y = fmin(a.max.y, b.max.y);
    if (r.min.x > r.max.x || r.min.y > r.max.y) {
        return 0;
    }
    if (out != NULL) {
        *out = r;
    }
    return 1;
}
