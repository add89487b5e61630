/* geometry: points, polygons and rectangles for the plotting library. */
#ifndef GEOMETRY_H
#define GEOMETRY_H

#include <stddef.h>

typedef struct {
    double x;
    double y;
} point;

typedef struct {
    point min;
    point max;
} rect;

double distance(point a, point b);
double polygon_area(const point *pts, size_t n);
double polygon_perimeter(const point *pts, size_t n);
int bounding_box(const point *pts, size_t n, rect *out);
int rect_contains(rect r, point p);
int rect_intersect(rect a, rect b, rect *out);

#endif
