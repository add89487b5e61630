/* A plain assert-based test program: exits non-zero on the first failure. */
#include <assert.h>
#include <math.h>
#include <stdio.h>

#include "geometry.h"

static int close_to(double a, double b)
{
    return fabs(a - b) < 1e-9;
}

int main(void)
{
    const point square[] = {{0, 0}, {2, 0}, {2, 2}, {0, 2}};
    const point line[] = {{0, 0}, {3, 4}};
    rect box;

    assert(close_to(distance(line[0], line[1]), 5.0));
    assert(close_to(polygon_area(square, 4), 4.0));
    assert(close_to(polygon_area(line, 2), 0.0));
    assert(close_to(polygon_perimeter(square, 4), 8.0));

    assert(bounding_box(square, 4, &box) == 0);
    assert(close_to(box.max.x, 2.0) && close_to(box.max.y, 2.0));
    assert(rect_contains(box, (point){1, 1}));
    assert(!rect_contains(box, (point){3, 1}));

    puts("geometry: all tests passed");
    return 0;
}
